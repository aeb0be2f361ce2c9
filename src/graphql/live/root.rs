//! The subscription root: every dashboard over stored rows, with the query's arguments and
//! result type, so a query becomes live by writing `subscription` instead of `query`.
//!
//! Each field here computes one answer — the same as the query field. Over WebSocket the live
//! registry (`super::Live`) runs that computation again whenever the team's data of the
//! dashboard changes (or its window rolls over) and sends the answers that differ.

use crate::domains::api_usage::filter::ApiUsageFilterInput;
use crate::domains::api_usage::graphql::ApiUsage;
use crate::domains::chat::filter::ChatFilterInput;
use crate::domains::chat::graphql::Chat;
use crate::domains::executive::filter::ExecutiveFilterInput;
use crate::domains::executive::graphql::Executive;
use crate::domains::product::filter::ProductFilterInput;
use crate::domains::product::graphql::Product;
use crate::domains::publishing::filter::PublishingFilterInput;
use crate::domains::publishing::graphql::Publishing;
use crate::domains::{
    api_usage::ApiUsageRoot, chat::ChatRoot, executive::ExecutiveRoot, product::ProductRoot,
    publishing::PublishingRoot,
};
use crate::kernel::cache::RefreshPolicy;
use crate::kernel::window::WindowInput;
use async_graphql::futures_util::stream::{self, Stream};
use async_graphql::{Context, ID, Result, Subscription};

/// The root subscription: each dashboard, pushed again when its answer changes.
#[derive(Default)]
pub struct LiveRoot;

/// One answer as a stream (the live registry asks again on every change).
fn once<T>(answer: T) -> impl Stream<Item = T> {
    stream::once(async move { answer })
}

#[Subscription]
impl LiveRoot {
    /// The API usage dashboard (as the `apiUsage` query), pushed again when the team's
    /// request logs change the answer or the window rolls over. `refresh` is accepted and
    /// ignored: live answers are always fresh.
    async fn api_usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Time range; as in the query field.")] window: Option<WindowInput>,
        #[graphql(desc = "Narrows the answer; as in the query field.")] filter: Option<
            ApiUsageFilterInput,
        >,
        #[graphql(desc = "A saved filter preset to apply (explicit arguments win).")]
        preset_id: Option<ID>,
        #[graphql(desc = "Accepted for the query's sake and ignored: live answers are fresh.")]
        refresh: Option<RefreshPolicy>,
    ) -> Result<impl Stream<Item = ApiUsage>> {
        let _ = refresh;
        let answer = ApiUsageRoot
            .api_usage(ctx, window, filter, preset_id, None)
            .await?;
        Ok(once(answer))
    }

    /// The chatbot dashboard (as the `chat` query), pushed again when the team's chat data
    /// change the answer or the window rolls over.
    async fn chat(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Time range; as in the query field.")] window: Option<WindowInput>,
        #[graphql(desc = "Narrows the answer; as in the query field.")] filter: Option<
            ChatFilterInput,
        >,
        #[graphql(desc = "A saved filter preset to apply (explicit arguments win).")]
        preset_id: Option<ID>,
        #[graphql(desc = "Accepted for the query's sake and ignored: live answers are fresh.")]
        refresh: Option<RefreshPolicy>,
    ) -> Result<impl Stream<Item = Chat>> {
        let _ = refresh;
        let answer = ChatRoot.chat(ctx, window, filter, preset_id, None).await?;
        Ok(once(answer))
    }

    /// The publishing pipeline (as the `publishing` query), pushed again when the team's
    /// publishing data change the answer or the window rolls over.
    async fn publishing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Time range; as in the query field.")] window: Option<WindowInput>,
        #[graphql(desc = "Narrows the answer; as in the query field.")] filter: Option<
            PublishingFilterInput,
        >,
        #[graphql(desc = "A saved filter preset to apply (explicit arguments win).")]
        preset_id: Option<ID>,
        #[graphql(desc = "Accepted for the query's sake and ignored: live answers are fresh.")]
        refresh: Option<RefreshPolicy>,
    ) -> Result<impl Stream<Item = Publishing>> {
        let _ = refresh;
        let answer = PublishingRoot
            .publishing(ctx, window, filter, preset_id, None)
            .await?;
        Ok(once(answer))
    }

    /// The executive dashboard (as the `executive` query), pushed again when the team's
    /// finance and operations data change the answer or the window rolls over.
    async fn executive(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Time range; as in the query field.")] window: Option<WindowInput>,
        #[graphql(desc = "Narrows the answer; as in the query field.")] filter: Option<
            ExecutiveFilterInput,
        >,
        #[graphql(desc = "A saved filter preset to apply (explicit arguments win).")]
        preset_id: Option<ID>,
        #[graphql(desc = "Accepted for the query's sake and ignored: live answers are fresh.")]
        refresh: Option<RefreshPolicy>,
    ) -> Result<impl Stream<Item = Executive>> {
        let _ = refresh;
        let answer = ExecutiveRoot
            .executive(ctx, window, filter, preset_id, None)
            .await?;
        Ok(once(answer))
    }

    /// Product analytics over the team's stored events and memberships (as the `product`
    /// query without `inline`), pushed again when they change the answer or the window rolls
    /// over.
    async fn product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Time range; as in the query field.")] window: Option<WindowInput>,
        #[graphql(desc = "Narrows the answer; as in the query field.")] filter: Option<
            ProductFilterInput,
        >,
        #[graphql(desc = "A saved filter preset to apply (explicit arguments win).")]
        preset_id: Option<ID>,
        #[graphql(desc = "Accepted for the query's sake and ignored: live answers are fresh.")]
        refresh: Option<RefreshPolicy>,
    ) -> Result<impl Stream<Item = Product>> {
        let _ = refresh;
        let answer = ProductRoot
            .product(ctx, window, filter, preset_id, None, None)
            .await?;
        Ok(once(answer))
    }
}
