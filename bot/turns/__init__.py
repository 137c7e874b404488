"""One Teams turn, piece by piece, for the activity handler (bot/handler.py) that routes each activity type here:
who is asking (caller), where a reply goes (placement), a typed message (messages), a card's button (card_actions),
the feedback buttons (feedback), install and welcome (welcome), and the reply activities built from typed results
(replies)."""
