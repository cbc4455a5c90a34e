//! Job handlers, one module per job kind.

pub mod backfill_comments;
pub mod contest_clock;
pub mod data_deletion;
pub mod process_deliveries;
pub mod process_event;
pub mod reach_refresh;
pub mod reconcile_subscriptions;
pub mod segment_sizes;
pub mod segments_refresh;
pub mod send_email;

use super::Registry;

/// Every job kind Fanfare knows. Features add their handlers here.
pub fn register_all(registry: &mut Registry) {
    registry.register(process_deliveries::ProcessDeliveries);
    registry.register(process_event::ProcessEvent);
    registry.register(data_deletion::DataDeletion);
    registry.register(reconcile_subscriptions::ReconcileSubscriptions);
    registry.register(contest_clock::ContestClock);
    registry.register(backfill_comments::BackfillComments);
    registry.register(segments_refresh::SegmentsRefresh);
    registry.register(reach_refresh::ReachRefresh);
    registry.register(segment_sizes::SegmentSizes);
    registry.register(send_email::SendEmail);
}
