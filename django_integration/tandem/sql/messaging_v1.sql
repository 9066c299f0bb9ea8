-- The messaging rules that touch several rows at once, as SQL functions created by migration
-- 0002. Django's views and the sidecar call these same functions, so a message sent over HTTP
-- and one sent over a socket are numbered, deduplicated and receipted identically.

-- Stores a message, or returns the stored one when (sender, client_id) was seen before.
-- outcome: 'ok' (stored now), 'duplicate' (stored earlier; the original row is returned),
-- 'forbidden' (the sender is not a member of the chat).
CREATE OR REPLACE FUNCTION tandem_send_message(
    p_chat bigint, p_sender bigint, p_client_id text, p_body text, p_pending_ttl_s double precision)
RETURNS TABLE (outcome text, message_id bigint, message_chat bigint, message_seq bigint,
               message_created_at timestamptz, message_body text)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_seq bigint;
BEGIN
    RETURN QUERY SELECT 'duplicate'::text, m.id, m.chat_id, m.seq, m.created_at, m.body
        FROM tandem_message m WHERE m.sender_id = p_sender AND m.client_id = p_client_id;
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
        UPDATE tandem_chat c SET last_seq = c.last_seq + 1 WHERE c.id = p_chat RETURNING c.last_seq INTO v_seq;
        RETURN QUERY INSERT INTO tandem_message AS m (chat_id, sender_id, client_id, seq, body, created_at)
            VALUES (p_chat, p_sender, p_client_id, v_seq, p_body, clock_timestamp())
            RETURNING 'ok'::text, m.id, m.chat_id, m.seq, m.created_at, m.body;
    EXCEPTION WHEN unique_violation THEN
        -- The same client_id raced in from another connection and won. The seq bump is undone
        -- with this block, so the chat's numbering keeps no gap.
        RETURN QUERY SELECT 'duplicate'::text, m.id, m.chat_id, m.seq, m.created_at, m.body
            FROM tandem_message m WHERE m.sender_id = p_sender AND m.client_id = p_client_id;
        RETURN;
    END;
    -- A pending delivery per recipient and chat; one that already waits keeps its first seq.
    INSERT INTO tandem_undelivered AS u
        (user_id, chat_id, first_seq, queue_type, attempts, last_error, created_at, expires_at)
        SELECT cm.user_id, p_chat, v_seq, 'message', 0, '', now(), now() + make_interval(secs => p_pending_ttl_s)
        FROM tandem_chatmember cm
        WHERE cm.chat_id = p_chat AND cm.user_id <> p_sender AND cm.delivered_upto < v_seq
        ON CONFLICT (user_id, chat_id) DO NOTHING;
END
$fn$;

-- Applies "kind up to seq" (kind 0 delivered, 1 read: the C++ core's receipt_kind) for one
-- member: marks only move forward, a read also advances delivery, a receipt never covers
-- messages that do not exist yet. Logs each advance, clears the pending delivery it covers.
-- changed is false for a repeat or stale receipt (send nothing); outcome 'forbidden' when the
-- user is not a member.
CREATE OR REPLACE FUNCTION tandem_apply_receipt(p_chat bigint, p_user bigint, p_kind smallint, p_upto bigint)
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
        IF v_new_d >= v_last THEN
            DELETE FROM tandem_undelivered u WHERE u.user_id = p_user AND u.chat_id = p_chat;
        ELSE
            UPDATE tandem_undelivered u SET first_seq = v_new_d + 1
                WHERE u.user_id = p_user AND u.chat_id = p_chat AND u.first_seq <= v_new_d;
        END IF;
    END IF;
    IF v_new_r > v_old_r THEN
        INSERT INTO tandem_receiptevent (chat_id, user_id, kind, from_seq, upto_seq, at)
            VALUES (p_chat, p_user, 1, v_old_r, v_new_r, now());
    END IF;
    RETURN QUERY SELECT 'ok'::text, true, v_old_d, v_old_r, v_new_d, v_new_r, now();
END
$fn$;
