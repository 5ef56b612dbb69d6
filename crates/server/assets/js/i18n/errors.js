// Messages of the server's errors, by key (err_<key>: the keys of crates/server/src/error.rs,
// whose test checks that each is here in both languages) and by code (err_code_<code>), in both
// languages side by side: zh.js and en.js take their entries from here, so a key missing from
// one language shows up next to the other. {name} is filled with the error's params.
export const zh = {
  // The error codes: shown when a key has no message of its own.
  err_code_unauthenticated: '请先登录。', err_code_forbidden: '您无权执行此操作。', err_code_cross_site: '请求来自其他网站的页面，已拒绝：请使用指挥中心自己的页面。',
  err_code_not_found: '没有找到所请求的内容。', err_code_bad_request: '请求有误，请检查填写的内容。', err_code_purpose_required: '请先填写查询事由。',
  err_code_conflict: '与现有数据冲突，请刷新后再试。', err_code_too_large: '提交的内容太大。', err_code_unsupported_media_type: '不支持这种内容格式。',
  err_code_method_not_allowed: '此地址不支持这种请求。', err_code_too_many_attempts: '尝试次数太多，请稍后再试。', err_code_busy: '操作太频繁，请稍后再试。',
  err_code_behind: '服务器正忙，请稍后重新发送。', err_code_unavailable: '服务暂时不可用，请稍后再试。', err_code_internal: '服务器内部错误，请联系管理员。',
  err_code_unknown: '请求失败', err_english: '服务器原文',
  // The guard and the session.
  err_log_in_first: '请先登录。', err_purpose_required: '查看个人信息前请填写查询事由（右上角）。', err_too_large: '提交的内容超过了此功能允许的大小。',
  err_method_not_allowed: '此地址不支持这种请求。', err_too_many_attempts: '此用户登录失败次数太多，请 {minutes} 分钟后再试。', err_internal: '服务器内部错误，请联系管理员。',
  err_nothing_here: '这个地址没有内容：{path}', err_route_closed: '此功能未对任何人开放。', err_role_may_not: '{role}无权执行此操作。',
  err_role_may_not_reveal: '{role}无权查看完整证件号码。', err_role_may_not_unrouted: '{role}无权查看无网格归属的任务。',
  err_unknown_subject: '没有找到 {subject}。', err_not_in_your_grids: '{subject} 不在您负责的网格内。', err_not_a_task_number: '{id} 不是有效的任务编号。',
  err_not_your_gate: '您不在卡口 {gate} 值守。', err_grid_required: '请选择网格。', err_not_your_grid: '网格 {grid} 不是您负责的网格。',
  err_cross_site_page: '请求来自其他网站的页面，已拒绝：请使用指挥中心自己的页面。', err_cross_site_origin: '请求来自 {origin} 的页面，而非本服务器，已拒绝。',
  err_unknown_host: '本服务器不接受以 {host} 访问（allowed_hosts）。', err_unsupported_body: '此功能不接受 {media_type} 格式的内容。',
  // A request that could not be read.
  err_bad_path: '地址中的参数有误。', err_bad_path_value: '地址中的参数 {value} 格式不对。', err_bad_query: '查询条件有误。',
  err_bad_query_field: '查询条件 {field} 的值有误。', err_bad_json: '提交的内容不是有效的 JSON。', err_bad_json_field: '字段 {field} 的值有误。',
  err_missing_json_field: '缺少必填字段 {field}。', err_json_content_type: '请以 JSON 格式提交。', err_bad_body: '无法读取提交的内容。',
  // The city's answers.
  err_no_task: '您的任务中没有 {id} 号任务。', err_task_changed: '任务已被他人修改，请刷新后再试。', err_open_task_exists: '此对象已有未完成的任务。',
  err_checkin_exists: '{day} 已经有健康打卡记录。', err_no_area: '没有编号为 {area} 的疫区。', err_area_ends_before_start: '疫区的结束时间不能早于开始时间。',
  err_area_region_and_geometry: '行政区划代码和绘制范围只能填一项。', err_area_region_or_geometry: '请填写行政区划代码，或在地图上绘制范围。',
  err_area_geometry: '绘制的范围有误。', err_user_exists: '用户名 {username} 已被使用。', err_field_invalid: '字段 {field} 的值不符合规则。',
  err_invalid: '提交的内容不符合规则，请检查后再试。', err_not_found: '没有找到所请求的内容。', err_conflict: '与现有数据冲突，请刷新后再试。',
  // Feeds.
  err_feed_unknown_kind: '没有 {kind} 类型的数据源；可用类型：{kinds}', err_feed_unreadable: '数据无法读取，请检查格式。', err_feed_behind: '服务器正在处理积压数据，请 {seconds} 秒后重新发送。',
  err_feed_store: '数据未能保存，请重新发送。', err_stopping: '服务器正在停止，请稍后再试。', err_stopping_resend: '服务器正在停止，恢复后请重新发送数据。',
  err_feed_media_type: '请以 NDJSON 或 CSV 格式发送数据。', err_row_rejected: '提交的信息未通过核对，请检查后再试。',
  // People, places, alerts, traces.
  err_no_such_person: '没有这个人。', err_not_a_resident: '{subject} 不是登记居民：通行码只发给居民。', err_unknown_place: '没有找到地点 {place}。',
  err_unknown_reason: '{reason} 不是有效的预警原因代码。', err_no_alert: '{subject} 没有预警。', err_bad_degree: '追踪度数只能是 1 或 2。',
  err_bad_since: '起始日期 {since} 无法识别：请填写日期（年-月-日）。',
  err_gate_checks_too_fast: '查验太频繁，请稍候。',
  // Tasks.
  err_bad_task_state: '任务状态 {state} 无效。', err_bad_isolation_until: '隔离结束时间 {value} 格式不对。', err_unknown_grid_code: '网格代码 {grid} 不存在。',
  err_bad_checkin_temperature: '体温 {temperature} 无效：请填写 30 到 45 之间的摄氏度。', err_too_many_streams: '您已打开 {max} 个实时页面，请关闭一些页面后再试。',
  err_unknown_region: '没有找到区域 {grid}。', err_bad_photo_type: '照片只支持 JPEG、PNG 或 WebP 格式。', err_bad_photo_size: '照片大小须在 8 MB 以内（此照片 {bytes} 字节）。',
  err_photo_not_image: '照片文件内容与格式不符。', err_no_photo: '任务 {id} 没有编号为 {photo} 的照片。',
  // Imports.
  err_bad_encoding: '不支持编码 {encoding}：请选择 UTF-8 或 GB18030。', err_bad_upload: '无法读取上传的文件。', err_upload_unreadable: '读取上传内容时出错。',
  err_upload_file_unreadable: '读取文件 {file} 时出错。', err_upload_empty: '上传的内容中没有文件。', err_no_import: '没有编号为 {id} 的导入。',
  err_no_rejects: '导入 {id} 没有拒收的记录。', err_bad_zip: '上传的文件不是可读取的 zip 压缩包。', err_zip_too_many_entries: '压缩包中有 {entries} 个条目，最多 {max} 个文件。',
  err_zip_duplicate: '压缩包中有两个同名文件 {file}：数据包应为一个文件夹。', err_zip_empty: '压缩包中没有文件。',
  // Gates, visitors and residents.
  err_not_your_gate_scan: '你不在 {gate} 值守：只能在自己的卡口扫码。', err_bad_direction: '方向只能是进、出或留空。',
  err_temperature_out_of_range: '体温 {temperature} 不在 34.0 到 43.0 ℃ 之间，请重新测量。', err_visitors_too_frequent: '登记太频繁，请稍后再试。',
  err_visitor_name_required: '请填写姓名。', err_visitor_bad_id_number: '身份证号码无效：应为18位，前17位是数字，最后一位是数字或X，且校验位正确，请核对。',
  err_visitor_bad_phone: '手机号码无效：请填写11位手机号（以1开头）。', err_visitor_bad_plate: '车牌号无效：应为省份简称、字母，再加5到6位字母或数字，如 浙H12345。',
  err_no_such_gate: '没有这个卡口：{gate}', err_resident_bad_phone: '手机号码格式不对：请填写11位手机号（以1开头）。',
  err_codes_too_frequent: '验证码发送太频繁，请一小时后再试。', err_phone_shared: '这个号码登记在多人名下，请联系网格员处理。',
  err_sms_failed: '短信发送失败，请稍后再试或联系网格员。', err_no_phone_registered: '此人没有登记手机号：请为其打印纸质通行码。',
  err_code_none: '没有这个号码的验证码，请先获取验证码。', err_code_used: '验证码已经用过了，请重新获取。', err_code_expired: '验证码已过期，请重新获取。',
  err_code_too_many_tries: '验证码错误次数太多，请重新获取。', err_code_wrong: '验证码不正确，请核对后再输入。', err_phone_not_registered: '这个号码没有登记，请联系网格员核对登记信息。',
  err_resident_disabled: '这个账号已停用，请联系网格员。', err_residents_only: '此页面供居民使用：请用手机号登录。', err_resident_not_listed: '您的登记信息已不在名单中，请联系网格员。',
  err_resident_gone: '您的登记信息已不在名单中。', err_member_pass_only: '只能出示同户且没有手机的家人的通行码。', err_unknown_symptom: '有不认识的症状，请重新选择。',
  err_appeal_reason_required: '请写明申诉的理由。',
  // Users and tokens.
  err_not_a_role: '{role} 不是有效的角色。', err_bad_username: '用户名只能是一个词：字母、数字、点、下划线或连字符。', err_username_too_long: '用户名最多 {max} 个字符。',
  err_short_password: '密码至少需要 {min} 个字符。', err_grid_worker_needs_grid: '网格员至少需要负责一个网格。', err_gate_guard_needs_gate: '门卫至少需要一个值守卡口。',
  err_not_a_grid: '{grid} 不是本市的网格或社区。', err_not_a_gate: '{gate} 不是本市的卡口。', err_no_user: '没有用户 {username}。',
  err_no_token: '{username} 没有令牌 {token}。', err_not_yourself: '不能停用自己，也不能更改自己的角色。', err_token_name_required: '请填写令牌的用途。',
  err_resident_account: '{username} 是居民账号：居民用手机号登录，不在此管理。',
  // Areas and cases (api/manage.rs).
  err_area_too_few_corners: '绘制的范围只有 {corners} 个不同的顶点，疫区至少需要三个：在地图上点三个以上的点，或改填行政区划代码。',
  err_case_subject_or_person_id: '请填写病例的身份证号或人员编号。',
  err_case_subject_and_person_id: '身份证号和人员编号只填其一。',
  err_case_unknown_person: '人员编号 {person_id} 不在人员登记中。',
  err_case_unknown_subject: '{subject} 既不是已登记人员的人员编号，也不是有效的身份证号。',
  err_case_confirmed_future: '确诊时间 {confirmed} 晚于系统当前时点 {as_of}：确诊时间不能是将来，请填写实际确诊日期。',
};

export const en = {
  // The error codes: shown when a key has no message of its own.
  err_code_unauthenticated: 'Log in first.', err_code_forbidden: 'You may not do this.', err_code_cross_site: 'This request came from another site\'s page: use the command centre\'s own pages.',
  err_code_not_found: 'Not found.', err_code_bad_request: 'The request is not right: check what was filled in.', err_code_purpose_required: 'Say why you are looking first.',
  err_code_conflict: 'This collides with the data as it is now: reload and try again.', err_code_too_large: 'What was sent is too large.', err_code_unsupported_media_type: 'This kind of content is not accepted.',
  err_code_method_not_allowed: 'This path does not answer that method.', err_code_too_many_attempts: 'Too many attempts: wait a while.', err_code_busy: 'Too many at once: wait a moment.',
  err_code_behind: 'The server is behind: send again shortly.', err_code_unavailable: 'Not available now: try again shortly.', err_code_internal: 'Internal error: tell an administrator.',
  err_code_unknown: 'The request failed', err_english: 'The server said',
  // The guard and the session.
  err_log_in_first: 'Log in first.', err_purpose_required: 'Say why you are looking (the purpose box at the top right).', err_too_large: 'The request body is larger than this endpoint accepts.',
  err_method_not_allowed: 'This path does not answer that method.', err_too_many_attempts: 'Too many failed logins for this user: wait {minutes} minutes.', err_internal: 'Internal error: tell an administrator.',
  err_nothing_here: 'Nothing is served at {path}.', err_route_closed: 'This route is not open to anyone.', err_role_may_not: 'A {role} may not do this.',
  err_role_may_not_reveal: 'A {role} may not see full ID numbers.', err_role_may_not_unrouted: 'A {role} may not see the unrouted queue.',
  err_unknown_subject: '{subject} is not known.', err_not_in_your_grids: '{subject} is not known in your grids.', err_not_a_task_number: '{id} is not a task number.',
  err_not_your_gate: 'You do not stand at {gate}.', err_grid_required: 'Choose the grid.', err_not_your_grid: '{grid} is not one of your grids.',
  err_cross_site_page: 'This request was sent from another site\'s page: use the command centre\'s own pages.', err_cross_site_origin: 'This request was sent from a page of {origin}, not of this server.',
  err_unknown_host: 'This server does not answer to the name {host} (allowed_hosts).', err_unsupported_body: 'This endpoint does not read {media_type}.',
  // A request that could not be read.
  err_bad_path: '{detail}', err_bad_path_value: '{detail}', err_bad_query: '{detail}',
  err_bad_query_field: 'The query\'s {field} is not right: {detail}', err_bad_json: '{detail}', err_bad_json_field: 'Field {field} is not right: {detail}',
  err_missing_json_field: 'Field {field} is required.', err_json_content_type: 'Send it as JSON.', err_bad_body: '{detail}',
  // The city's answers.
  err_no_task: 'There is no task {id} among yours.', err_task_changed: 'The task was changed meanwhile: load it again.', err_open_task_exists: 'This subject has an open task already.',
  err_checkin_exists: '{day} has a check-in already.', err_no_area: 'There is no area {area}.', err_area_ends_before_start: 'An area cannot end before it began.',
  err_area_region_and_geometry: 'Give a region code or a drawn area, not both.', err_area_region_or_geometry: 'Give a region code, or draw the area on the map.',
  err_area_geometry: 'The drawn area is not right: {detail}', err_user_exists: 'A user named {username} exists already.', err_field_invalid: '{field}: {detail}',
  err_invalid: '{detail}', err_not_found: '{detail}', err_conflict: '{detail}',
  // Feeds.
  err_feed_unknown_kind: 'There is no feed of kind {kind}; feeds take {kinds}.', err_feed_unreadable: '{detail}', err_feed_behind: 'The server is behind with its feeds: send the rows again in {seconds} s.',
  err_feed_store: 'The rows could not be kept: send them again.', err_stopping: 'The server is stopping: try again.', err_stopping_resend: 'The server is stopping: send the rows again once it is back.',
  err_feed_media_type: 'Send NDJSON or CSV.', err_row_rejected: 'Not accepted: {reason}',
  // People, places, alerts, traces.
  err_no_such_person: 'There is no such person.', err_not_a_resident: '{subject} is not a registered person: passes are for residents.', err_unknown_place: '{place} is not a known place.',
  err_unknown_reason: '{reason} is not a reason code.', err_no_alert: '{subject} has no alert.', err_bad_degree: 'The degree is 1 or 2.',
  err_bad_since: 'Since {since}: give a date, YYYY-MM-DD.',
  err_gate_checks_too_fast: 'More checks a minute than a gate sees: wait a moment.',
  // Tasks.
  err_bad_task_state: 'State {state}: use open, accepted, isolating, closed, active or all.', err_bad_isolation_until: 'The end of isolation {value} is not a date or time.', err_unknown_grid_code: 'Grid code {grid} is not a known region.',
  err_bad_checkin_temperature: 'Temperature {temperature}: give degrees Celsius, between 30 and 45.', err_too_many_streams: '{max} live pages are open for you already: close one.',
  err_unknown_region: '{grid} is not a known region.', err_bad_photo_type: 'A photo is JPEG, PNG or WebP.', err_bad_photo_size: 'A photo has up to 8 MB; this one {bytes} bytes.',
  err_photo_not_image: 'The photo\'s bytes are not an image of its type.', err_no_photo: 'Task {id} has no photo {photo}.',
  // Imports.
  err_bad_encoding: 'Encoding {encoding}: use UTF-8 or GB18030.', err_bad_upload: '{detail}', err_upload_unreadable: 'Reading the upload failed: {detail}',
  err_upload_file_unreadable: 'Reading {file} failed: {detail}', err_upload_empty: 'The upload holds no files.', err_no_import: 'There is no import {id}.',
  err_no_rejects: 'Import {id} has no rejects.', err_bad_zip: 'The upload is not a readable zip.', err_zip_too_many_entries: 'The zip holds {entries} entries; a drop is one folder of at most {max} files.',
  err_zip_duplicate: 'The zip holds two files named {file}; a drop is one folder.', err_zip_empty: 'The zip holds no files.',
  // Gates, visitors and residents.
  err_not_your_gate_scan: 'You do not stand at {gate}: scan at your own gate only.', err_bad_direction: 'The direction is in, out or empty.',
  err_temperature_out_of_range: 'Temperature {temperature} is not between 34.0 and 43.0 °C: measure again.', err_visitors_too_frequent: 'Too many registrations: wait a minute.',
  err_visitor_name_required: 'Give your name.', err_visitor_bad_id_number: 'Invalid ID number: 18 characters, 17 digits then a digit or X, with a valid check digit.',
  err_visitor_bad_phone: 'Invalid phone: 11 digits starting with 1.', err_visitor_bad_plate: 'Invalid plate: a province, a letter, then 5 or 6 letters or digits, like 浙H12345.',
  err_no_such_gate: 'There is no gate {gate}.', err_resident_bad_phone: 'A mainland mobile number: 11 digits starting with 1.',
  err_codes_too_frequent: 'Too many codes this hour: try again later.', err_phone_shared: 'The number is registered for several people: ask the grid worker.',
  err_sms_failed: 'The SMS could not be sent: try again later or ask the grid worker.', err_no_phone_registered: 'No phone is registered for this person: print a paper pass.',
  err_code_none: 'There is no code for this number: ask for one first.', err_code_used: 'The code was used already: ask for a new one.', err_code_expired: 'The code has expired: ask for a new one.',
  err_code_too_many_tries: 'Too many wrong codes: ask for a new one.', err_code_wrong: 'The code is not right: check it and enter it again.', err_phone_not_registered: 'This number is not registered: ask the grid worker to check.',
  err_resident_disabled: 'This account is disabled: ask the grid worker.', err_residents_only: 'This page is for residents: sign in with your phone.', err_resident_not_listed: 'You are no longer on the register: ask the grid worker.',
  err_resident_gone: 'You are no longer on the register.', err_member_pass_only: 'Only the passes of household members without a phone can be shown.', err_unknown_symptom: 'A symptom is not known: choose again.',
  err_appeal_reason_required: 'Say why you appeal.',
  // Users and tokens.
  err_not_a_role: '{role} is not a role.', err_bad_username: 'A user name is one word: letters, digits, dots, underscores or hyphens.', err_username_too_long: 'A user name has at most {max} characters.',
  err_short_password: 'A password has at least {min} characters.', err_grid_worker_needs_grid: 'A grid worker needs at least one grid.', err_gate_guard_needs_gate: 'A gate guard needs at least one gate.',
  err_not_a_grid: '{grid} is not a grid or a community of this city.', err_not_a_gate: '{gate} is not a gate of this city.', err_no_user: 'There is no user {username}.',
  err_no_token: '{username} has no token {token}.', err_not_yourself: 'You cannot disable yourself or change your own role.', err_token_name_required: 'Say what the token is for.',
  err_resident_account: '{username} is a resident\'s account: residents sign in with their phone.',
  // Areas and cases (api/manage.rs).
  err_area_too_few_corners: 'The drawn area has {corners} distinct corners and an area needs at least three: draw three or more points on the map, or give a region code instead.',
  err_case_subject_or_person_id: 'Give the case\'s ID number or person id.',
  err_case_subject_and_person_id: 'Give the ID number or the person id, not both.',
  err_case_unknown_person: 'Person id {person_id} is not a registered person.',
  err_case_unknown_subject: '{subject} is neither a registered person\'s person id nor a valid resident ID number.',
  err_case_confirmed_future: 'Confirmed {confirmed} is later than the server\'s moment {as_of}: a case cannot be confirmed in the future; give the date of diagnosis.',
};
