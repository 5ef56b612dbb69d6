// Messages of users, roles and tokens, in both languages side by side: zh.js and en.js take
// their entries from here, so a key missing from one language shows up next to the other.
export const zh = {
  users: '用户管理', users_add: '新增用户', users_edit: '修改用户', users_change: '修改', users_username: '用户名', users_role: '角色',
  users_grids: '负责网格', users_gates: '值守卡口', users_state: '状态', users_active: '正常', users_disabled: '已停用',
  users_tokens: '令牌', users_created: '添加时间', users_actions: '操作', users_disable: '停用', users_enable: '启用',
  users_search: '搜索用户名、网格或卡口', users_all_roles: '全部角色', users_all_states: '全部状态', users_none: '没有符合条件的用户',
  users_count: '共 {n} 个用户', users_residents_note: '居民账号（手机号登录）不在此列出，可在角色中选择“居民”查看。',
  users_password: '密码', users_new_password: '新密码', users_password_hint: '至少 {min} 个字符', users_set_password: '重置密码',
  users_password_set: '{username} 的密码已重置，其原有登录已全部失效。', users_save: '保存', users_cancel: '取消', users_close: '关闭',
  users_saved: '{username} 已保存。', users_added: '已新增用户 {username}。', users_disabled_done: '{username} 已停用：其登录和令牌立即失效。',
  users_enabled_done: '{username} 已重新启用。', users_disable_confirm: '停用 {username}？其登录和令牌将立即失效。',
  users_pick_search: '按代码或名称筛选', users_picked: '已选 {n} 个', users_no_choices: '没有可选项', users_not_needed: '此角色不需要',
  users_tokens_of: '{username} 的令牌', users_token_name: '用途（如：卡口设备、数据接口）', users_token_issue: '签发令牌',
  users_token_once: '令牌只显示这一次，请立即复制保存：', users_token_copy: '复制', users_token_copied: '已复制',
  users_token_revoke: '吊销', users_token_revoke_confirm: '吊销令牌“{name}”？使用它的设备将立即无法访问。', users_token_revoked: '令牌已吊销。',
  users_no_tokens: '没有令牌', users_token_id: '编号', users_you: '（您）', users_none_assigned: '—',
};

export const en = {
  users: 'Users', users_add: 'Add a user', users_edit: 'Edit user', users_change: 'Edit', users_username: 'User name', users_role: 'Role',
  users_grids: 'Grids', users_gates: 'Gates', users_state: 'State', users_active: 'Active', users_disabled: 'Disabled',
  users_tokens: 'Tokens', users_created: 'Added', users_actions: 'Actions', users_disable: 'Disable', users_enable: 'Enable',
  users_search: 'Search names, grids or gates', users_all_roles: 'All roles', users_all_states: 'All states', users_none: 'No user matches',
  users_count: '{n} users', users_residents_note: 'Residents\' accounts (signed in by phone) are not listed here: choose the role "Resident" to see them.',
  users_password: 'Password', users_new_password: 'New password', users_password_hint: 'at least {min} characters', users_set_password: 'Reset password',
  users_password_set: '{username}\'s password is reset; their sessions have ended.', users_save: 'Save', users_cancel: 'Cancel', users_close: 'Close',
  users_saved: '{username} saved.', users_added: 'User {username} added.', users_disabled_done: '{username} is disabled: their sessions and tokens stopped working.',
  users_enabled_done: '{username} is enabled again.', users_disable_confirm: 'Disable {username}? Their sessions and tokens stop working at once.',
  users_pick_search: 'Filter by code or name', users_picked: '{n} chosen', users_no_choices: 'Nothing to choose', users_not_needed: 'Not needed for this role',
  users_tokens_of: '{username}\'s tokens', users_token_name: 'What it is for (a gate device, a feed)', users_token_issue: 'Issue a token',
  users_token_once: 'The token is shown this once: copy it now.', users_token_copy: 'Copy', users_token_copied: 'Copied',
  users_token_revoke: 'Revoke', users_token_revoke_confirm: 'Revoke the token "{name}"? Whatever uses it is refused at once.', users_token_revoked: 'Token revoked.',
  users_no_tokens: 'No tokens', users_token_id: 'Id', users_you: ' (you)', users_none_assigned: '—',
};
