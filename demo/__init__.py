"""`make demo`: Domain Steward's whole story (onboarding, auto-stop, offboarding, teardown) on the local cloud."""
