"""Write paths: every state change goes through a function here, with the acting member passed in."""
