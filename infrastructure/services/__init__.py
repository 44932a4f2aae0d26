"""Infrastructure services: nodes, pods, containers and VMs (fetch + merge + compute, no HTTP)."""
