//! Integration tests: real HTTP against the real app and a real Postgres database
//! per test. One binary keeps linking cheap; tests run in parallel.

mod accounts;
mod callbacks;
mod comment_to_enter;
mod contests;
mod crm;
mod crm_metrics;
mod dashboard;
mod dashboard_issue9;
mod dashboard_wave2;
mod draws;
mod engage;
mod escaping;
mod event_writes;
mod fan;
mod fan_rules;
mod foundation;
mod helpers;
mod jobs;
mod openapi;
mod points;
mod polls;
mod prepared;
mod proxy;
mod referrals;
mod reliability;
mod sandbox;
mod support;
mod tenancy;
mod ui;
mod uploads;
mod views;
mod webhooks;
