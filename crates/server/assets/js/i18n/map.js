// Messages of the city map (levels, drill-down, areas drawn) and of the two pages that show it,
// the overview and the task board, in both languages side by side: zh.js and en.js take their
// entries from here, so a key missing from one language shows up next to the other.
export const zh = {
  ov_alerts_mine: '我的网格预警人数',
  map_levels: '地图层级', map_all: '全部', map_area: '疫区', map_click_in: '点击查看下一级', map_click_grid: '点击查看本网格',
  map_view_in_area: '本区域整体处于疫区', map_areas_elsewhere: '市外疫区',
  map_risk_high: '高风险', map_risk_medium: '中风险', map_risk_low: '低风险',
  level_province: '省', level_city: '市', level_county: '县（市、区）', level_town: '乡镇（街道）', level_community: '社区', level_grid: '网格', level_other: '区域',
  ov_no_home_grid: '无居住网格的预警', ov_no_home_grid_hint: '预警对象不是登记居民（如外来人员、未登记手机号），没有居住网格；其核查任务按最后出现地分派到网格，无处可派的进入“待分派任务”',
  ov_open_tasks: '待处理任务', ov_tasks_hint: '未接单与已接单的任务',
  board_to_route: '待分派任务', board_to_route_hint: '没有网格可派的任务（对象无居住网格，窗口内也未在任何网格出现），须人工改派',
  board_open_accepted: '未接单与已接单', board_overdue: '超时', board_map: '各网格待办任务预计感染人数',
  alerts_in_grid: '预警人数',
};

export const en = {
  ov_alerts_mine: 'Alerts in my grids',
  map_levels: 'Map levels', map_all: 'All', map_area: 'Epidemic area', map_click_in: 'Click to go in', map_click_grid: 'Click to see this grid',
  map_view_in_area: 'All of this region is in an epidemic area', map_areas_elsewhere: 'Areas outside the city',
  map_risk_high: 'High risk', map_risk_medium: 'Medium risk', map_risk_low: 'Low risk',
  level_province: 'Provinces', level_city: 'Cities', level_county: 'Counties', level_town: 'Towns', level_community: 'Communities', level_grid: 'Grids', level_other: 'Regions',
  ov_no_home_grid: 'Alerts with no home grid', ov_no_home_grid_hint: 'People alerted who are not registered residents (visitors, unregistered phones): no home grid. Their tasks go to the grid they were last seen in; those seen in none wait in "Tasks to route"',
  ov_open_tasks: 'Tasks to do', ov_tasks_hint: 'Open and accepted tasks',
  board_to_route: 'Tasks to route', board_to_route_hint: 'Tasks with no grid to go to (no home grid, not seen in any grid in the window): route them by hand',
  board_open_accepted: 'Open and accepted', board_overdue: 'Overdue', board_map: 'Expected infections in the tasks to do, by grid',
  alerts_in_grid: 'People alerted',
};
