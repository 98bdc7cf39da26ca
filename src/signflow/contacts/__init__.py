"""Personal and enterprise contacts, and adding a recipient by contact."""
