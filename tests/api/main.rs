//! Integration tests: real HTTP against the real app and a real Postgres database
//! per test. One binary keeps linking cheap; tests run in parallel.

mod accounts;
mod callbacks;
mod foundation;
mod helpers;
mod jobs;
mod proxy;
mod sandbox;
mod tenancy;
mod uploads;
mod webhooks;
