"""Demo scaffolding: the demo retailer (``seed_demo``) and the loopback fakes of the Microsoft
services (``fake_services``, ``insights_demo``). Installed only outside production."""
