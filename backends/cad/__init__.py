"""3D modelling domain: CadQuery scripts run in the sandbox, exported, and compared with a reference solid
by volumetric IoU and surface distances (see domain.py)."""
