"""One router per resource: search, clips, review (moderation and admin), pages."""
