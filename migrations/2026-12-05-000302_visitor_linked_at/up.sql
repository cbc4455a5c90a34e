-- When a browser became a known person. Page views are stored a moment after
-- they are answered (src/views), so the writer may find a browser linked that was
-- anonymous when it viewed the page (it entered in between). The view is still
-- attributed to the person, as anonymous history always is, but it earns the
-- daily visit only if the browser was linked before the view: a points total
-- must not depend on how soon the writer ran.
ALTER TABLE visitors ADD COLUMN linked_at TIMESTAMPTZ;
UPDATE visitors SET linked_at = first_seen_at WHERE contact_id IS NOT NULL;
