//! The shared analytics vocabulary: windows, calendar, KPIs, breakdowns, cache, errors.
//! No HTTP and no domain knowledge lives here.

pub mod breakdown;
pub mod cache;
pub mod calendar;
pub mod changes;
pub mod choices;
pub mod clock;
pub mod columns;
pub mod error;
pub mod funnel;
pub mod gate;
pub mod interner;
pub mod json_depth;
pub mod kpi;
pub mod lists;
pub mod local_days;
pub mod money;
pub mod months;
pub mod rate_limit;
pub mod record;
pub mod shared_tier;
pub mod sql;
pub mod tenancy;
pub mod window;

pub use error::{AppError, AppResult};
pub use tenancy::{Principal, Role, TeamId, TeamInfo, TeamScope};
