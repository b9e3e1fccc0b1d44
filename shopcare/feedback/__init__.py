"""The suggestion box: complaints, suggestions, compliments and questions (``care.feedback``)."""
