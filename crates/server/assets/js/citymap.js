// The city map: county, town, community and grid as the city's own GeoJSON draws them.
