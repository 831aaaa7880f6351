"""Who gets which e-mail and when, what it says, how it looks (templates, charts). Pure."""
