"""Grid readers, filling raw_grid_intensity: Electricity Maps exports, the GB Carbon Intensity API,
and the generic grid CSV."""
