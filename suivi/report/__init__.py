"""Documents for committees and funders: the committee pack, the IPTT. Pure."""
