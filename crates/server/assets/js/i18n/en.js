// The command centre's messages in English: one entry per key that t() looks up. Every key here
// is also in zh.js (tests/browser/run.mjs checks).
import { en as map } from './map.js';
import { en as trace } from './trace.js';
import { en as errors } from './errors.js';
import { en as users } from './users.js';
import { en as work } from './work.js';
import { en as areas } from './areas.js';
import { en as found } from './found.js';

export default {
  ...map, ...trace, ...errors, ...users, ...work, ...areas, ...found,
  status_red: 'Red', status_yellow: 'Yellow', status_green: 'Green', gate_day: 'Gates, last 24 h', gate_scans: 'scans', gate_fevers: 'fevers', gate_refusals: 'Refusals at gates', gate_no_scans: 'No scans in 24 h', gate_none: 'No refusals in 24 h',
  refuse_yellow: 'Yellow', refuse_red: 'Red', refuse_fever: 'Fever', refuse_forged: 'Forged or altered', refuse_expired: 'Expired', refuse_unknown_key: 'Unknown key', refuse_malformed: 'Unreadable', refuse_not_yet_valid: 'Issued in the future', refuse_unknown_person: 'Not registered',
  role_admin: 'admin', role_analyst: 'analyst', role_epidemiologist: 'epidemiologist', role_grid_worker: 'grid worker', role_gate_guard: 'gate guard', role_viewer: 'viewer', role_feeder: 'data source', role_resident: 'resident',
  overview: 'Overview', alerts: 'Alerts', trace: 'Trace', areas: 'Areas & cases', import: 'Import', audit: 'Audit', api: 'API',
  login: 'Log in', logout: 'Log out', username: 'User name', password: 'Password', bad_login: 'Wrong user name or password',
  purpose: 'Purpose', default_purpose: 'outbreak screening check',
  alerts_n: 'People alerted', cases_active: 'Active cases', areas_open: 'Open areas', persons: 'Residents', sightings: 'Sightings', unrouted: 'No grid',
  by_reason: 'Alerts by reason', over_time: 'Alerts over time (earliest lead)', cases_by_date: 'Cases by confirmation date', grid_map: 'Alerts by grid',
  score: 'Chance infected', subject: 'Subject', name: 'Name', grid: 'Grid', reasons: 'Reasons', id_number: 'ID number', phone: 'Phone', address: 'Address',
  reason: 'Reason', min_score: 'Min chance (%)', search: 'Search', all: 'All', filter: 'Filter', prev: 'Previous', next: 'Next',
  total: 'Total', evidence: 'Evidence', where: 'Where', when: 'When', with_case: 'Case', timeline: 'Timeline', map: 'Map',
  trajectory: 'Trajectory', contacts: 'Contacts', degree: 'Degree', tier: 'Tier', first_at: 'First met', is_case: 'Case',
  trace_btn: 'Trace', trace_of: 'Subject', case_links: 'Transmission links between cases', open_trace: 'Open trace', reveal: 'Show full numbers',
  areas_list: 'Epidemic areas', area_name: 'Name', add_area: 'Add or change an area', area_id: 'Area id', region_code: 'Region code', from: 'From', to: 'To', risk: 'Risk',
  draw: 'Click the map to draw a polygon (leave region code empty)', clear: 'Clear', save: 'Save', end_area: 'End', changed: 'Changed',
  new_alerts: 'New alerts', cases: 'Cases', add_case: 'Add or change a case', status: 'Status', onset: 'Onset', confirmed: 'Confirmed', isolated: 'Isolated',
  upload: 'Upload a drop (a zip or several files)', encoding: 'Encoding', start_import: 'Import', importing: 'Importing', rows_read: 'Rows read',
  accepted: 'Accepted', rejected: 'Rejected', duplicates: 'Duplicates', file: 'File', download_rejects: 'Download rejects', done: 'Done', failed: 'Failed',
  at: 'At', user: 'User', action: 'Action', target: 'Target', detail: 'Detail', more: 'More',
  none: 'None', not_in_grid: 'Not in your grids', no_alert: 'No alert', loading: 'Loading…',
  CLOSE_CONTACT: 'Close contact', SECONDARY_CONTACT: 'Secondary contact', GENERAL_CONTACT: 'General contact', EPI_AREA: 'Epidemic area',
  DELIVERY_FROM_AREA: 'Delivery from area', FEVER_MEDICINE: 'Fever medicine', FEVER_REPORTED: 'Fever reported', APPEAL: 'Appeal', OUTSIDE_ARRIVAL: 'Arrival from outside',
  FEVER_CHECKIN: 'Fever at check-in', MISSED_CHECKIN: 'Missed check-in',
  tasks: 'Tasks', board: 'Task board', task: 'Task', accept: 'Accept', record: 'Record outcome', submit: 'Submit',
  outcome: 'Outcome', note: 'Note', isolation_until: 'Isolate until', checkin: 'Check-in', temperature: 'Temperature °C', symptoms: 'Symptoms',
  due: 'Due', overdue: 'Overdue', priority: 'Priority', state_open: 'Open', state_accepted: 'Accepted', state_isolating: 'Isolating', state_closed: 'Closed',
  confirmed_o: 'Confirmed exposure', home_isolation: 'Home isolation', central_isolation: 'Central isolation', hospital: 'To hospital for testing', unreachable: 'Not reachable', wrong_person: 'Wrong person',
  cleared: 'Cleared', alerts_cleared: 'Alerts cleared', isolation_completed: 'Isolation completed', history: 'History', new_tasks: 'Tasks updated', answered_in_time: 'Answered in time', median_first_contact: 'Median minutes to first contact',
  unrouted_queue: 'Unrouted queue', escalated: 'Escalated', reassign: 'Reassign', grid_code: 'Grid code', by_grid_tasks: 'Tasks by grid', outcomes_by_reason: 'Outcomes by reason',
  community: 'Community', 'command centre': 'Command centre', none_left: 'No tasks', call: 'Call',
  residents: 'Households', household: 'Household', show: 'Show', photo: 'Photo of a document', photos: 'Photos',
  feeds: 'Feeds', feeds_title: 'Live feeds', feed_list: 'Feeds', route: 'Route', sender: 'Sender', feed_kind: 'Kind',
  route_http: 'HTTP', route_mqtt: 'MQTT', route_nats: 'NATS JetStream', route_up: 'Up', route_down: 'Down', route_off: 'Not configured', route_connecting: 'connecting',
  route_off_hint_mqtt: 'the server was started without --mqtt', route_off_hint_nats: 'the server was started without --nats',
  route_down_alarm: '{route} is down {for}: rows sent this way are not coming in, and people in them may be missed', affected: 'Feeds affected: ',
  since: 'since', since_start: 'since the server started', for_s: 'for {n} s', for_m: 'for {n} min', for_h: 'for {n} h',
  just_now: 'just now', ago_s: '{n} s ago', ago_m: '{n} min ago', ago_h: '{n} h ago', ago_d: '{n} d ago', quiet: 'quiet',
  pending: 'Waiting in JetStream', queued_messages: 'Messages waiting', queued_bytes: 'Bytes waiting', oldest_wait: 'Oldest wait',
  latency: 'Latency', latency_screen: 'Row → screen', latency_task: 'Row → grid task', samples: 'samples', no_samples: 'no samples yet',
  as_of: 'Screened at', rolling: 'rolling with the clock', fixed_moment: 'fixed moment', updated_at: 'updated', refresh_failed: 'Refresh failed; showing the state at {time}',
  rows_per_minute: 'Rows / min', unreadable: 'Unreadable', messages: 'Messages', last_message: 'Last message',
  attention_order: 'feeds of a route that is down first, then the longest silent',
  no_feeds: 'No live rows since the server started. Senders push them over HTTP, MQTT or NATS JetStream (see API).',
  feed_rejects: 'Rejected rows', received: 'Received', line: 'Line', whole_message: 'whole message', raw_record: 'Record', click_to_expand: 'click to show it whole',
  download_csv: 'Download CSV', newest: 'Newest', older: 'Older', no_rejects: 'No rejected rows', new_rejects: 'New rejected rows: show them',
  kind_sightings: 'Sightings', kind_rail_tickets: 'Rail tickets', kind_hotel_stays: 'Hotel stays', kind_netcafe_sessions: 'Internet cafés',
  kind_checkpoint_passes: 'Road checkpoints', kind_parking: 'Parking', kind_gate_access: 'Compound gates', kind_pharmacy_sales: 'Pharmacy sales',
  kind_deliveries: 'Deliveries', kind_health_reports: 'Health reports', kind_cases: 'Cases', kind_areas: 'Epidemic areas', kind_persons: 'Persons',
  kind_vehicles: 'Vehicles', kind_places: 'Places', kind_regions: 'Regions',
};
