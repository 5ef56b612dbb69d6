// The command centre's messages in Chinese, the default language: one entry per key that t()
// looks up. Every key here is also in en.js (tests/browser/run.mjs checks).
import { zh as map } from './map.js';
import { zh as trace } from './trace.js';
import { zh as errors } from './errors.js';
import { zh as users } from './users.js';
import { zh as work } from './work.js';
import { zh as areas } from './areas.js';
import { zh as found } from './found.js';

export default {
  ...map, ...trace, ...errors, ...users, ...work, ...areas, ...found,
  status_red: '红码', status_yellow: '黄码', status_green: '绿码', gate_day: '卡口近24小时', gate_scans: '扫码', gate_fevers: '发热', gate_refusals: '卡口拒绝原因', gate_no_scans: '近24小时没有扫码', gate_none: '近24小时没有拒绝',
  refuse_yellow: '黄码', refuse_red: '红码', refuse_fever: '发热', refuse_forged: '伪造或篡改', refuse_expired: '过期', refuse_unknown_key: '未知密钥', refuse_malformed: '无法识别', refuse_not_yet_valid: '签发时间异常', refuse_unknown_person: '不在名单',
  role_admin: '管理员', role_analyst: '分析员', role_epidemiologist: '流调人员', role_grid_worker: '网格员', role_gate_guard: '门卫', role_viewer: '查看者', role_feeder: '数据源', role_resident: '居民',
  overview: '总览', alerts: '预警', trace: '追踪', areas: '疫区与病例', import: '数据导入', audit: '审计', api: '接口',
  login: '登录', logout: '退出', username: '用户名', password: '密码', bad_login: '用户名或密码错误',
  purpose: '查询事由', default_purpose: '疫情排查核实',
  alerts_n: '预警人数', cases_active: '在管病例', areas_open: '有效疫区', persons: '常住人口', sightings: '轨迹记录', unrouted: '无网格归属',
  by_reason: '预警原因', over_time: '预警随时间（最早线索日期）', cases_by_date: '确诊病例（按确诊日期）', grid_map: '网格预警分布',
  score: '感染概率', subject: '对象', name: '姓名', grid: '网格', reasons: '原因', id_number: '身份证号', phone: '电话', address: '住址',
  reason: '原因', min_score: '最低概率 (%)', search: '搜索', all: '全部', filter: '筛选', prev: '上一页', next: '下一页',
  total: '共', evidence: '证据', where: '地点', when: '时间', with_case: '关联病例', timeline: '时间轴', map: '地图',
  trajectory: '行动轨迹', contacts: '密接关系', degree: '度数', tier: '接触级别', first_at: '首次接触', is_case: '病例',
  trace_btn: '追踪', trace_of: '追踪对象', case_links: '病例间传播关联', open_trace: '查看追踪', reveal: '显示完整号码',
  areas_list: '疫区', area_name: '名称', add_area: '新增或修改疫区', area_id: '疫区编号', region_code: '行政区划代码', from: '开始', to: '结束', risk: '风险',
  draw: '在地图上点击绘制多边形（留空行政区划代码）', clear: '清除', save: '保存', end_area: '结束', changed: '变化',
  new_alerts: '新增预警', cases: '病例', add_case: '新增或修改病例', status: '状态', onset: '发病', confirmed: '确诊', isolated: '隔离',
  upload: '上传数据包（zip 或多个文件）', encoding: '编码', start_import: '开始导入', importing: '正在导入', rows_read: '已读行数',
  accepted: '接收', rejected: '拒收', duplicates: '重复', file: '文件', download_rejects: '下载拒收明细', done: '完成', failed: '失败',
  at: '时间', user: '用户', action: '操作', target: '对象', detail: '详情', more: '更多',
  none: '无', not_in_grid: '不在您的网格内', no_alert: '无预警', loading: '加载中…',
  CLOSE_CONTACT: '密切接触', SECONDARY_CONTACT: '次密接', GENERAL_CONTACT: '一般接触', EPI_AREA: '疫区来返',
  DELIVERY_FROM_AREA: '疫区快递', FEVER_MEDICINE: '购退烧药', FEVER_REPORTED: '报告发热', APPEAL: '居民申诉', OUTSIDE_ARRIVAL: '外地来衢',
  FEVER_CHECKIN: '打卡发热', MISSED_CHECKIN: '漏打卡',
  tasks: '今日任务', board: '任务看板', task: '任务', accept: '接受', record: '记录结果', submit: '提交',
  outcome: '结果', note: '备注', isolation_until: '隔离至', checkin: '健康打卡', temperature: '体温 °C', symptoms: '症状',
  due: '时限', overdue: '已超时', priority: '优先级', state_open: '待处理', state_accepted: '处理中', state_isolating: '居家隔离', state_closed: '已办结',
  confirmed_o: '已核实接触史', home_isolation: '居家隔离', central_isolation: '集中隔离', hospital: '送医检测', unreachable: '联系不上', wrong_person: '信息有误',
  cleared: '排除', alerts_cleared: '解除预警', isolation_completed: '隔离期满', history: '处理记录', new_tasks: '任务已更新', answered_in_time: '按时响应率', median_first_contact: '首次联系中位（分钟）',
  unrouted_queue: '无网格任务', escalated: '已升级', reassign: '改派', grid_code: '网格代码', by_grid_tasks: '各网格任务', outcomes_by_reason: '各原因处理结果',
  community: '社区', 'command centre': '指挥中心', none_left: '暂无任务', call: '拨打',
  residents: '我的住户', household: '户', show: '查看', photo: '证件照片', photos: '照片',
  feeds: '实时接入', feeds_title: '实时数据接入', feed_list: '数据源', route: '通道', sender: '来源', feed_kind: '数据类型',
  route_http: 'HTTP 接口', route_mqtt: 'MQTT 设备', route_nats: 'NATS 队列', route_up: '在线', route_down: '中断', route_off: '未启用', route_connecting: '正在连接',
  route_off_hint_mqtt: '启动时未指定 --mqtt', route_off_hint_nats: '启动时未指定 --nats',
  route_down_alarm: '{route}通道中断{for}：经此通道上报的数据未能入库，相关人员可能漏筛', affected: '受影响的数据源：',
  since: '自', since_start: '自服务启动', for_s: '已 {n} 秒', for_m: '已 {n} 分钟', for_h: '已 {n} 小时',
  just_now: '刚刚', ago_s: '{n} 秒前', ago_m: '{n} 分钟前', ago_h: '{n} 小时前', ago_d: '{n} 天前', quiet: '静默',
  pending: 'JetStream 积压', queued_messages: '待入库消息', queued_bytes: '待入库数据量', oldest_wait: '最长等待',
  latency: '时延', latency_screen: '数据→筛查可见', latency_task: '数据→网格任务', samples: '样本数', no_samples: '暂无样本',
  as_of: '筛查时刻', rolling: '随时钟滚动', fixed_moment: '固定时刻', updated_at: '更新于', refresh_failed: '刷新失败，显示的是 {time} 的状态',
  rows_per_minute: '每分钟条数', unreadable: '无法解析', messages: '消息数', last_message: '最近消息',
  attention_order: '中断通道的数据源在前，其余按静默时长排列',
  no_feeds: '服务启动以来尚未收到实时数据。发送方可经 HTTP、MQTT 或 NATS JetStream 推送（见“接口”）。',
  feed_rejects: '拒收明细', received: '接收时间', line: '行号', whole_message: '整条消息', raw_record: '原始记录', click_to_expand: '点击展开全文',
  download_csv: '下载 CSV', newest: '最新', older: '更早', no_rejects: '没有拒收记录', new_rejects: '有新的拒收记录，点击刷新',
  kind_sightings: '轨迹', kind_rail_tickets: '铁路购票', kind_hotel_stays: '旅馆住宿', kind_netcafe_sessions: '网吧上网',
  kind_checkpoint_passes: '交通卡口', kind_parking: '智能停车', kind_gate_access: '小区门禁', kind_pharmacy_sales: '药店购药',
  kind_deliveries: '快递', kind_health_reports: '健康打卡', kind_cases: '病例', kind_areas: '疫区', kind_persons: '人员',
  kind_vehicles: '车辆', kind_places: '场所', kind_regions: '行政区划',
};
