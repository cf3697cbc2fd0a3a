import FHIRStore
