"""rightsguard."""
