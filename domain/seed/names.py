"""Synthetic name and address parts. Combined at random they make obviously fictional people.

Names used by the named fixtures and by staff are removed from the random pools, so a lookup such as "Jamie",
"Riley Novak" or "Kate" finds exactly the fixture the tests expect.
"""

from __future__ import annotations

import unicodedata

_FEMALE = """
Abigail Ada Addison Aisha Alana Alice Alina Amara Amelia Ana Anika Aria Ariana Aubrey Audrey Aurora Bella Bianca
Brianna Brooke Camila Carmen Caroline Chloe Clara Daisy Daniela Delilah Eleanor Elena Eliana Elise Ella Emily Emma
Esme Eva Evelyn Fatima Fiona Freya Gabriela Grace Hailey Hana Hannah Harper Hazel Imani Isabel Isla Ivy Jade
Jasmine Josephine Julia Juliet Kaia Kayla Keira Layla Leah Leila Lena Lila Lily Lucia Lucy Luna Lydia Madeline Maria
Mariana Maya Mia Mila Naomi Natalia Nina Nora Olivia Paige Penelope Piper Priya Rachel Rosa Ruby Sadie Samira Sara
Sienna Sofia Stella Tessa Valentina Vera Violet Willa Ximena Yara Zara
""".split()

_MALE = """
Aaron Adam Adrian Aiden Andre Andrew Anthony Arjun Asher Ben Benjamin Brandon Caleb Cameron Carlos Carter Charles
Christopher Colin Connor Daniel David Dominic Dylan Elias Emmett Ethan Evan Felix Finn Gabriel George Henry Hugo Ian
Jack Jacob James Jasper Javier Jayden Joel Jonah Jonathan Joseph Joshua Julian Kai Kenji Leo Levi Liam Lucas Luis
Luke Malik Marco Mason Mateo Matthew Max Miles Mohammed Nathan Nicholas Noah Nolan Oliver Omar Oscar Owen Parker Rafael
Ravi Roman Ryan Samuel Santiago Sebastian Simon Theo Theodore Thomas Tobias Tyler Victor Wesley William Wyatt Xavier
Yusuf Zachary
""".split()

_NEUTRAL = "Avery Blake Charlie Dakota Emerson Finley Hayden Kendall Quinn Reese Rowan Sage Skyler Taylor".split()

_LAST = """
Abbott Acosta Adams Aguilar Ahmed Alvarez Anderson Andrews Arnold Bailey Baker Banerjee Barnes Bell Bennett Bishop
Boyd Bradley Burke Butler Calloway Campbell Carlson Carter Castillo Chandler Chavez Clarke Cole Collins Contreras
Cooper Crawford Cruz Dalton Daniels Davies Dawson Diaz Dixon Douglas Duarte Dunn Edwards Ellis Emerson Espinoza Evans
Farrell Fischer Fleming Flores Ford Foster Fox Francis Garcia Gardner Gibson Gomez Gonzales Graham Grant Gray Greene
Griffin Gupta Hall Hamilton Hansen Harper Harris Hayes Henderson Hernandez Hoffman Holland Hughes Hunt Ibarra Ingram
Jackson Jensen Johansson Jordan Kapoor Keller Kennedy Khan Kim Klein Knight Larsen Lawson Lee Lindgren Lopez Lowe
Maddox Marsh Martin Mason McCarthy Mendoza Meyer Mills Mitchell Moreno Morris Murphy Nakamura Nash Nguyen Nielsen
Nolan Oconnell Okoye Olsen Owens Padilla Palmer Pearson Perez Perry Pham Porter Quinn Ramirez Reed Reyes Rhodes
Rivera Roberts Rojas Romero Ross Russell Sanchez Santos Schmidt Shah Silva Simmons Singh Sloan Soto Spencer Stewart
Sullivan Suzuki Tanaka Thompson Torres Tran Tucker Turner Vargas Vasquez Wagner Walsh Ward Watson Webb Wells West
Wheeler Whitaker Wong Woods Wright Yamamoto Young Zimmerman
""".split()

# Adult first names for guardians.
GUARDIAN_FEMALE = """
Alicia Angela Beth Carla Christine Dana Denise Elaine Erin Gina Heather Holly Ingrid Janet Joanna Karen Laura Leticia
Linda Lisa Marisol Melissa Michelle Monica Nadine Nicole Pamela Renee Sandra Sonia Tamara Teresa Wendy Yvonne
""".split()
GUARDIAN_MALE = """
Alan Brian Bruce Carl Craig Darren Dennis Eduardo Frank Gary Gregory Hector Jeffrey Keith Kevin Larry Marcus Mark
Martin Neil Patrick Paul Raymond Ricardo Robert Scott Sergio Stephen Steven Terry Todd Trevor Vincent Walter
""".split()

STREETS = """
Maple Oak Cedar Birch Willow Elm Pine Spruce Aspen Juniper Chestnut Hickory Magnolia Sycamore Poplar Linden Alder
Lakeview Harbor Shoreline Meadow Orchard Prairie Ridge Hillcrest Sunset Brookside Foxglove Heron Bluebird Cardinal
""".split()
STREET_KINDS = ["St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way", "Pl"]
AREA_CODES = ["312", "630", "708", "773"]

NICKNAMES = {
    "Benjamin": "Ben", "Christopher": "Chris", "Daniel": "Danny", "Nicholas": "Nick", "Samuel": "Sam",
    "Matthew": "Matt", "Jonathan": "Jon", "Theodore": "Teddy", "William": "Will", "Zachary": "Zach",
    "Abigail": "Abby", "Isabel": "Izzy", "Josephine": "Josie", "Madeline": "Maddie", "Valentina": "Val",
    "Gabriela": "Gabby", "Natalia": "Talia", "Penelope": "Penny",
}

# Never generated at random: first names of the named fixtures and of staff, plus names a fuzzy roster match
# would confuse with them ("James" for "Jamie", "Brooke" for "Brooks").
RESERVED_FIRST = {
    "Jamie", "Jaime", "Jamey", "James", "Brooke", "Zoë", "Zoe", "Katherine", "Kate", "Katie", "Kathryn", "Catherine",
    "Kat", "Riley", "Morgan", "Eli", "Alex", "Alexander", "Alexandra", "Megan", "Adele", "Isaiah", "Patti", "Patricia",
    "Lynne",
}
RESERVED_LAST = {
    "Ortiz", "Chen", "Müller", "Muller", "Mueller", "Brooks", "Navarro", "Novak", "Tate", "Wilber", "Bowen", "Vance",
    "Langer", "Fernandez", "Robbins",
}


def _pool(names: list[str]) -> list[str]:
    return [n for n in names if n not in RESERVED_FIRST]


FEMALE_FIRST = _pool(_FEMALE)
MALE_FIRST = _pool(_MALE)
NEUTRAL_FIRST = _pool(_NEUTRAL)
LAST = [n for n in _LAST if n not in RESERVED_LAST]


def ascii_slug(text: str) -> str:
    """'Zoë Müller' -> 'zoe.muller' (for synthetic e-mail addresses)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ".".join(part for part in "".join(c if c.isalnum() else " " for c in plain.lower()).split())
