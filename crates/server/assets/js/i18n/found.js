// Messages of the "found by the data first" page (#/found), in both languages side by side:
// zh.js and en.js take their entries from here, so a key missing from one language shows up
// next to the other. The title borrows Quzhou's own words of 2020: "除特例外，其余全部由大数据靶向命中".
export const zh = {
  found: '靶向命中', ff_title: '确诊病例·大数据靶向命中',
  ff_since: '确诊日期自', ff_show: '查看', ff_all_cases: '全部病例',
  ff_record_from: '命中记录始于 {from}（筛查时点），此后每次筛查新出现的预警都记下首次出现的时间、评分与排名。',
  ff_before_record_note: '另有 {n} 例在记录开始之前确诊，无法判断，不计入。',
  ff_all_before_record: '所选的 {n} 例确诊病例都在命中记录开始（{from}）之前确诊：那时系统尚未开始记录预警，无法判断数据是否先于确诊找到了他们。请选择记录开始之后的日期，或等待新的确诊病例。',
  ff_no_record: '尚未开始记录预警的首次出现。',
  ff_no_cases: '所选时段内没有确诊病例。',
  ff_cases: '确诊病例（可判断）', ff_found_n: '确诊前已被数据命中', ff_median_lead: '提前时间（中位）', ff_median_rank: '命中时排名（中位）',
  ff_tasks_before: '确诊前已派网格任务', ff_reached_before: '确诊前网格员已联系',
  ff_distribution: '提前时间分布', ff_lt_1d: '不到1天', ff_1_3d: '1–3天', ff_3_7d: '3–7天', ff_ge_7d: '7天及以上', ff_cases_unit: '例',
  ff_found_list: '确诊前已被命中的病例', ff_missed_list: '未被数据提前发现的病例（待复核）',
  ff_confirmed: '确诊时间', ff_first_alert: '首次预警', ff_lead: '提前', ff_rank: '当时排名', ff_score: '当时评分', ff_task: '网格任务',
  ff_task_reached: '已联系', ff_task_made: '已派单', ff_task_none: '无',
  ff_alerted_later: '确诊后是否出现预警', ff_later_yes: '是，{at}', ff_later_no: '否，从未预警',
  ff_hours: '{n} 小时', ff_days: '{n} 天', ff_none_found: '没有在确诊前被命中的病例。', ff_none_missed: '没有漏判的病例。',
  ff_how: '怎么算', ff_hint: '命中：病例确诊之前已出现预警（按预警首次出现时的筛查时点与确诊时间比较）；提前时间即两者之差，排名与评分是预警首次出现时的。',
  ff_tasks_hint: '网格任务“已派单”：确诊前已为此人生成网格任务；“已联系”：确诊前网格员已联系上此人。',
  ao_found_first: '靶向命中统计', at_found_first: '靶向命中统计',
};

export const en = {
  found: 'Found first', ff_title: 'Confirmed cases found by the data first',
  ff_since: 'Confirmed since', ff_show: 'Show', ff_all_cases: 'All cases',
  ff_record_from: 'The record began at {from} (screening moment); since then every alert that appears is written down with the moment, score and rank it first had.',
  ff_before_record_note: '{n} more were confirmed before the record began and cannot be judged; they are not counted.',
  ff_all_before_record: 'All {n} confirmed cases chosen were confirmed before the record began ({from}): no alerts were being recorded then, so whether the data found them first cannot be told. Choose a date after the record began, or wait for new cases.',
  ff_no_record: 'The first appearances of alerts are not being recorded yet.',
  ff_no_cases: 'No cases were confirmed in the chosen period.',
  ff_cases: 'Confirmed cases (judged)', ff_found_n: 'Found by the data before confirmation', ff_median_lead: 'Lead time (median)', ff_median_rank: 'Rank when found (median)',
  ff_tasks_before: 'Grid task made before confirmation', ff_reached_before: 'Reached by a grid worker before confirmation',
  ff_distribution: 'Lead times', ff_lt_1d: 'Under 1 day', ff_1_3d: '1–3 days', ff_3_7d: '3–7 days', ff_ge_7d: '7 days or more', ff_cases_unit: 'cases',
  ff_found_list: 'Cases found before their confirmation', ff_missed_list: 'Cases the data did not find first (for review)',
  ff_confirmed: 'Confirmed', ff_first_alert: 'First alert', ff_lead: 'Lead', ff_rank: 'Rank then', ff_score: 'Score then', ff_task: 'Grid task',
  ff_task_reached: 'Reached', ff_task_made: 'Assigned', ff_task_none: 'None',
  ff_alerted_later: 'Alert after confirmation', ff_later_yes: 'Yes, {at}', ff_later_no: 'No, never alerted',
  ff_hours: '{n} h', ff_days: '{n} days', ff_none_found: 'No case was found before its confirmation.', ff_none_missed: 'No case was missed.',
  ff_how: 'How it is counted', ff_hint: 'Found first: the case had an alert before it was confirmed (the moment of the screening that first showed the alert, against the confirmation); the lead time is the difference, and the rank and score are those the alert first had.',
  ff_tasks_hint: 'Grid task "Assigned": a grid task for the person was made before the confirmation; "Reached": a grid worker had reached the person before it.',
  ao_found_first: 'Found-first figure', at_found_first: 'found-first figure',
};
