import FHIRCore
