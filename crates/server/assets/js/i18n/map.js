// Messages of the city map (levels, drill-down, areas drawn), in both languages side by side: zh.js and en.js take
// their entries from here, so a key missing from one language shows up next to the other.
export const zh = {
};

export const en = {
};
