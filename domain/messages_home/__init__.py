"""Messages home: a note to a student's guardians (or a class's) drafted from the record, shown to the teacher in the
school's language beside each guardian's language, and sent only when the teacher presses Send."""
