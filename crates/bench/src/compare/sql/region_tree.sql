-- Every region with each of its ancestors and itself, so that "inside" is one lookup; run by
-- both databases after their regions table is loaded.
CREATE TABLE region_tree AS
WITH RECURSIVE t(code, ancestor) AS (
    SELECT code, code FROM regions
    UNION ALL
    SELECT t.code, r.parent_code FROM t JOIN regions r ON r.code = t.ancestor
    WHERE r.parent_code IS NOT NULL
)
SELECT code, ancestor FROM t;
