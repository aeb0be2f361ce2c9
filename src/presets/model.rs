//! What a preset is: dashboard kind, visibility, window and a filter typed for its dashboard.

use super::entity;
use crate::domains::api_usage::filter::ApiUsageFilter;
use crate::domains::chat::filter::ChatFilter;
use crate::domains::executive::filter::ExecutiveFilter;
use crate::domains::product::filter::ProductFilter;
use crate::domains::publishing::filter::PublishingFilter;
use crate::kernel::window::Resolver;
use crate::kernel::window::{TimeWindow, WindowInput};
use crate::kernel::{AppError, AppResult, Role, TeamScope};
use async_graphql::Enum;
use serde::{Deserialize, Serialize};

/// The dashboards a preset can belong to (more arrive with their dashboards).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DashboardKind {
    /// The `apiUsage` dashboard.
    ApiUsage,
    /// The `chat` dashboard.
    Chat,
    /// The `publishing` dashboard.
    Publishing,
    /// The `executive` dashboard.
    Executive,
    /// The `product` dashboard.
    Product,
}

impl DashboardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DashboardKind::ApiUsage => "API_USAGE",
            DashboardKind::Chat => "CHAT",
            DashboardKind::Publishing => "PUBLISHING",
            DashboardKind::Executive => "EXECUTIVE",
            DashboardKind::Product => "PRODUCT",
        }
    }

    /// How the dashboard resolves windows (the executive dashboard works in whole months).
    pub fn resolver(self) -> Resolver {
        match self {
            DashboardKind::Executive => TimeWindow::resolve_months,
            _ => TimeWindow::resolve,
        }
    }

    fn parse(s: &str) -> AppResult<Self> {
        match s {
            "API_USAGE" => Ok(DashboardKind::ApiUsage),
            "CHAT" => Ok(DashboardKind::Chat),
            "PUBLISHING" => Ok(DashboardKind::Publishing),
            "EXECUTIVE" => Ok(DashboardKind::Executive),
            "PRODUCT" => Ok(DashboardKind::Product),
            other => Err(AppError::internal(anyhow::anyhow!(
                "unknown dashboard kind `{other}`"
            ))),
        }
    }
}

/// Who may see a preset.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PresetVisibility {
    /// Only its owner.
    #[default]
    Personal,
    /// Every member of the team reads and applies it; editors and the owner change it.
    Team,
}

impl PresetVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            PresetVisibility::Personal => "PERSONAL",
            PresetVisibility::Team => "TEAM",
        }
    }
}

/// The filter of a preset, typed for its dashboard.
#[derive(Debug, Clone, PartialEq)]
pub enum PresetFilter {
    ApiUsage(ApiUsageFilter),
    Chat(ChatFilter),
    Publishing(PublishingFilter),
    Executive(ExecutiveFilter),
    Product(ProductFilter),
}

impl PresetFilter {
    pub fn dashboard(&self) -> DashboardKind {
        match self {
            PresetFilter::ApiUsage(_) => DashboardKind::ApiUsage,
            PresetFilter::Chat(_) => DashboardKind::Chat,
            PresetFilter::Publishing(_) => DashboardKind::Publishing,
            PresetFilter::Executive(_) => DashboardKind::Executive,
            PresetFilter::Product(_) => DashboardKind::Product,
        }
    }

    pub fn to_json(&self) -> String {
        let json = match self {
            PresetFilter::ApiUsage(f) => serde_json::to_string(f),
            PresetFilter::Chat(f) => serde_json::to_string(f),
            PresetFilter::Publishing(f) => serde_json::to_string(f),
            PresetFilter::Executive(f) => serde_json::to_string(f),
            PresetFilter::Product(f) => serde_json::to_string(f),
        };
        json.unwrap_or_else(|_| "{}".into())
    }

    /// Reads a stored filter, validating it against the dashboard's filter type. Fields a later
    /// release added default to "no filter"; unknown stored fields are ignored.
    fn from_json(dashboard: DashboardKind, json: &str) -> AppResult<Self> {
        match dashboard {
            DashboardKind::ApiUsage => {
                let f: ApiUsageFilter = serde_json::from_str(json).map_err(AppError::internal)?;
                Ok(PresetFilter::ApiUsage(f.normalised()?))
            }
            DashboardKind::Chat => {
                let f: ChatFilter = serde_json::from_str(json).map_err(AppError::internal)?;
                Ok(PresetFilter::Chat(f.normalised()?))
            }
            DashboardKind::Publishing => {
                let f: PublishingFilter = serde_json::from_str(json).map_err(AppError::internal)?;
                Ok(PresetFilter::Publishing(f.normalised()?))
            }
            DashboardKind::Executive => {
                let f: ExecutiveFilter = serde_json::from_str(json).map_err(AppError::internal)?;
                Ok(PresetFilter::Executive(f.normalised()?))
            }
            DashboardKind::Product => {
                let f: ProductFilter = serde_json::from_str(json).map_err(AppError::internal)?;
                Ok(PresetFilter::Product(f.normalised()?))
            }
        }
    }
}

/// A saved preset as the domain sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub id: i64,
    pub dashboard: DashboardKind,
    pub owner: String,
    pub name: String,
    pub visibility: PresetVisibility,
    pub is_default: bool,
    pub window: WindowInput,
    pub filter: PresetFilter,
    pub version: i32,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl Preset {
    pub fn from_model(m: entity::Model) -> AppResult<Self> {
        let dashboard = DashboardKind::parse(&m.dashboard)?;
        let visibility = match m.visibility.as_str() {
            "TEAM" => PresetVisibility::Team,
            _ => PresetVisibility::Personal,
        };
        Ok(Preset {
            id: m.id,
            dashboard,
            owner: m.owner,
            name: m.name,
            visibility,
            is_default: m.is_default,
            window: serde_json::from_str(&m.window_json).map_err(AppError::internal)?,
            filter: PresetFilter::from_json(dashboard, &m.filter_json)?,
            version: m.version,
            created_at_ms: m.created_at_ms,
            updated_at_ms: m.updated_at_ms,
        })
    }

    /// Whether the caller may read and apply it.
    pub fn visible_to(&self, scope: &TeamScope) -> bool {
        self.visibility == PresetVisibility::Team || self.owner == scope.user()
    }

    /// Whether the caller may change or delete it.
    pub fn editable_by(&self, scope: &TeamScope) -> bool {
        self.owner == scope.user()
            || (self.visibility == PresetVisibility::Team && scope.role() >= Role::Editor)
    }

    /// The apiUsage filter, when this is an apiUsage preset.
    pub fn api_usage_filter(&self) -> Option<&ApiUsageFilter> {
        match &self.filter {
            PresetFilter::ApiUsage(f) => Some(f),
            _ => None,
        }
    }

    /// The product filter, when this is a product preset.
    pub fn product_filter(&self) -> Option<&ProductFilter> {
        match &self.filter {
            PresetFilter::Product(f) => Some(f),
            _ => None,
        }
    }

    /// The executive filter, when this is an executive preset.
    pub fn executive_filter(&self) -> Option<&ExecutiveFilter> {
        match &self.filter {
            PresetFilter::Executive(f) => Some(f),
            _ => None,
        }
    }

    /// The publishing filter, when this is a publishing preset.
    pub fn publishing_filter(&self) -> Option<&PublishingFilter> {
        match &self.filter {
            PresetFilter::Publishing(f) => Some(f),
            _ => None,
        }
    }

    /// The chat filter, when this is a chat preset.
    pub fn chat_filter(&self) -> Option<&ChatFilter> {
        match &self.filter {
            PresetFilter::Chat(f) => Some(f),
            _ => None,
        }
    }
}

/// A business error of a preset mutation, returned in `userErrors`.
#[derive(async_graphql::SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    /// Path of the offending input field, e.g. `["input", "name"]`.
    pub field: Option<Vec<String>>,
    /// What is wrong, for people.
    pub message: String,
    /// What is wrong, for programs: `INVALID_NAME`, `DUPLICATE_NAME`, `INVALID_FILTER`,
    /// `WRONG_DASHBOARD_FILTER`, `INVALID_WINDOW`, `VERSION_CONFLICT`.
    pub code: String,
}

impl UserError {
    pub fn new(field: &[&str], code: &str, message: impl Into<String>) -> Self {
        UserError {
            field: Some(field.iter().map(|f| f.to_string()).collect()),
            message: message.into(),
            code: code.into(),
        }
    }
}
