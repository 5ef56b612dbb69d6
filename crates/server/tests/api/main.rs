//! The API through its router: statuses, JSON shapes (snapshotted with insta), role and scope
//! denials, the audit trail, live changes, uploads. One test binary, a module per feature.

mod helpers;

mod alerts;
mod audit;
mod brokers;
mod feeds;
mod found;
mod gates;
mod guard;
mod manage;
mod postgres;
mod routes;
mod scope;
mod session;
mod system;
mod tasks;
mod uploads;
mod users;
