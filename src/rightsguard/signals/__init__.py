"""Rights-signal extractors (robots, TDMRep, licences, …). Each module is imported on its own."""
