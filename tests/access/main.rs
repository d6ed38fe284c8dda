//! Access rules, principals and reveal budgets (`desensitize::access`):
//! the done-when scenario, the rules file, budgets and their counters, and
//! processes sharing one counter file. `cargo test --test access`.

mod budgets;
mod derived;
mod processes;
mod rules;
mod scenario;
mod tracing_alarm;
