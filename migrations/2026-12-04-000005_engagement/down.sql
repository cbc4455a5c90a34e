-- Reverses 000005_engagement, dependents first.
DROP TABLE poll_votes;
ALTER TABLE prize_polls DROP CONSTRAINT prize_polls_adopted_fk;
DROP TABLE poll_suggestions;
DROP TABLE prize_polls;
DROP TABLE judge_scores;
DROP TABLE judging_criteria;
DROP TABLE draw_picks;
DROP TABLE draws;
DROP TABLE draw_seeds;
DROP TABLE point_balances;
DROP TABLE point_awards;
DROP FUNCTION point_awards_apply();
DROP TABLE referrals;
DROP TABLE referral_clicks;
DROP TABLE referral_codes;
ALTER TABLE contests DROP COLUMN points_per_bonus_entry, DROP COLUMN point_rules;
