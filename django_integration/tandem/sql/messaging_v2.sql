-- Version 2 of the messaging functions Django and the sidecar both call, created by migration
-- 0004. A released file never changes (tests/python/django/test_sql_contract.py pins it by
-- hash): a new behaviour is a new file with new function names, so an old and a new sidecar can
-- run side by side during a rolling deploy, each calling the functions it was built for.
--
-- Changes from v1: dedup is per (chat, sender, client_id); a unique violation other than the
-- dedup key is raised, not hidden; the functions refuse to run below READ COMMITTED's
-- guarantees; a send writes no pending-delivery row (undelivered is computed from the markers).

-- The version of the SQL contract this file creates; the sidecar's readiness check and
-- Django's system check compare it with the version they were built for.
CREATE OR REPLACE FUNCTION tandem_schema_version() RETURNS integer
LANGUAGE sql IMMUTABLE AS $fn$ SELECT 2 $fn$;

-- The dedup branch must see a row another transaction committed after this one began: only
-- READ COMMITTED does. Under REPEATABLE READ or SERIALIZABLE, fail loudly instead of silently
-- answering "no row".
CREATE OR REPLACE FUNCTION tandem_require_read_committed_v2() RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'tandem messaging needs the READ COMMITTED isolation level, not %',
            upper(current_setting('transaction_isolation'))
            USING ERRCODE = 'invalid_transaction_state',
                  HINT = 'Run Tandem''s calls in their own READ COMMITTED transaction (docs/django.md).';
    END IF;
END
$fn$;

-- Stores a message, or returns the stored one when (chat, sender, client_id) was seen before.
-- outcome: 'ok' (stored now), 'duplicate' (stored earlier; the original row is returned),
-- 'forbidden' (the sender is not a member of the chat).
CREATE OR REPLACE FUNCTION tandem_send_message_v2(
    p_chat bigint, p_sender bigint, p_client_id text, p_body text)
RETURNS TABLE (outcome text, message_id bigint, message_chat bigint, message_seq bigint,
               message_created_at timestamptz, message_body text)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_seq bigint;
    v_constraint text;
BEGIN
    PERFORM tandem_require_read_committed_v2();
    RETURN QUERY SELECT 'duplicate'::text, m.id, m.chat_id, m.seq, m.created_at, m.body
        FROM tandem_message m
        WHERE m.chat_id = p_chat AND m.sender_id = p_sender AND m.client_id = p_client_id;
    IF FOUND THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM tandem_chatmember cm WHERE cm.chat_id = p_chat AND cm.user_id = p_sender) THEN
        RETURN QUERY SELECT 'forbidden'::text, NULL::bigint, p_chat, NULL::bigint, NULL::timestamptz, NULL::text;
        RETURN;
    END IF;
    BEGIN
        -- The chat row's lock orders the chat's sends: seq order is commit order, so a reader
        -- syncing "after seq N" can never miss a message that commits later with a smaller seq.
        UPDATE tandem_chat c SET last_seq = c.last_seq + 1, last_message_at = clock_timestamp()
            WHERE c.id = p_chat RETURNING c.last_seq INTO v_seq;
        RETURN QUERY INSERT INTO tandem_message AS m (chat_id, sender_id, client_id, seq, body, created_at)
            VALUES (p_chat, p_sender, p_client_id, v_seq, p_body, clock_timestamp())
            RETURNING 'ok'::text, m.id, m.chat_id, m.seq, m.created_at, m.body;
    EXCEPTION WHEN unique_violation THEN
        -- Only the dedup key means "the same client_id raced in from another connection and
        -- won"; any other violation is a real fault and must reach the caller.
        GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
        IF v_constraint IS DISTINCT FROM 'tandem_message_chat_sender_client_id' THEN
            RAISE;
        END IF;
        -- The seq bump is undone with this block, so the chat's numbering keeps no gap.
        RETURN QUERY SELECT 'duplicate'::text, m.id, m.chat_id, m.seq, m.created_at, m.body
            FROM tandem_message m
            WHERE m.chat_id = p_chat AND m.sender_id = p_sender AND m.client_id = p_client_id;
    END;
END
$fn$;

-- Applies "kind up to seq" (kind 0 delivered, 1 read: the C++ core's receipt_kind) for one
-- member: marks only move forward, a read also advances delivery, a receipt never covers
-- messages that do not exist yet. Logs each advance. changed is false for a repeat or stale
-- receipt (send nothing); outcome 'forbidden' when the user is not a member.
CREATE OR REPLACE FUNCTION tandem_apply_receipt_v2(p_chat bigint, p_user bigint, p_kind smallint, p_upto bigint)
RETURNS TABLE (outcome text, changed boolean, old_delivered bigint, old_read bigint,
               new_delivered bigint, new_read bigint, receipt_at timestamptz)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_last bigint;
    v_old_d bigint;
    v_old_r bigint;
    v_new_d bigint;
    v_new_r bigint;
    v_upto bigint;
BEGIN
    PERFORM tandem_require_read_committed_v2();
    SELECT cm.delivered_upto, cm.read_upto INTO v_old_d, v_old_r
        FROM tandem_chatmember cm WHERE cm.chat_id = p_chat AND cm.user_id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'forbidden'::text, false, 0::bigint, 0::bigint, 0::bigint, 0::bigint, now();
        RETURN;
    END IF;
    SELECT c.last_seq INTO v_last FROM tandem_chat c WHERE c.id = p_chat;
    v_upto := LEAST(p_upto, v_last);
    IF p_kind = 1 THEN
        v_new_r := GREATEST(v_old_r, v_upto);
        v_new_d := GREATEST(v_old_d, v_new_r);
    ELSE
        v_new_r := v_old_r;
        v_new_d := GREATEST(v_old_d, v_upto);
    END IF;
    IF v_new_d = v_old_d AND v_new_r = v_old_r THEN
        RETURN QUERY SELECT 'ok'::text, false, v_old_d, v_old_r, v_new_d, v_new_r, now();
        RETURN;
    END IF;
    UPDATE tandem_chatmember cm SET
        delivered_upto = v_new_d,
        read_upto = v_new_r,
        delivered_at = CASE WHEN v_new_d > v_old_d THEN now() ELSE cm.delivered_at END,
        read_at = CASE WHEN v_new_r > v_old_r THEN now() ELSE cm.read_at END
        WHERE cm.chat_id = p_chat AND cm.user_id = p_user;
    IF v_new_d > v_old_d THEN
        INSERT INTO tandem_receiptevent (chat_id, user_id, kind, from_seq, upto_seq, at)
            VALUES (p_chat, p_user, 0, v_old_d, v_new_d, now());
    END IF;
    IF v_new_r > v_old_r THEN
        INSERT INTO tandem_receiptevent (chat_id, user_id, kind, from_seq, upto_seq, at)
            VALUES (p_chat, p_user, 1, v_old_r, v_new_r, now());
    END IF;
    RETURN QUERY SELECT 'ok'::text, true, v_old_d, v_old_r, v_new_d, v_new_r, now();
END
$fn$;

-- A member who joins a chat has received and read everything sent before: without this, a
-- newcomer's zero markers would drop every earlier message back to one grey tick. The seq they
-- joined at is kept (joined_seq) so history and sync can start there when the site wants it.
CREATE OR REPLACE FUNCTION tandem_member_joins_v2() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    SELECT c.last_seq INTO NEW.joined_seq FROM tandem_chat c WHERE c.id = NEW.chat_id;
    NEW.joined_seq := coalesce(NEW.joined_seq, 0);
    NEW.delivered_upto := GREATEST(NEW.delivered_upto, NEW.joined_seq);
    NEW.read_upto := GREATEST(NEW.read_upto, NEW.joined_seq);
    RETURN NEW;
END
$fn$;

CREATE TRIGGER tandem_member_joins_v2 BEFORE INSERT ON tandem_chatmember
    FOR EACH ROW EXECUTE FUNCTION tandem_member_joins_v2();
