"""A feedback form with one question of each type, shared by the feedback and report tests."""

QUESTIONS = [
    {"id": "overall", "type": "scale", "text": "How was today for you?", "required": True,
     "labels": ["Not at all", "A little", "Somewhat", "Quite", "Very much"]},
    {"id": "length", "type": "single", "text": "The rounds were...", "required": True,
     "options": ["Too short", "About right", "Too long"]},
    {"id": "helped", "type": "multiple", "text": "What helped?", "required": False,
     "options": ["The agreements", "The prompts", "The timer"]},
    {"id": "anything", "type": "text", "text": "Anything else?", "required": False,
     "max_length": 1000},
]
