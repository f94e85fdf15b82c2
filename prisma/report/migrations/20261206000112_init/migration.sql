-- CreateTable
CREATE TABLE "report_event" (
    "owner" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "sequence" BIGINT NOT NULL,
    "type" TEXT NOT NULL,
    "subject" UUID NOT NULL,
    "revision" INTEGER NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "changes" JSONB NOT NULL,
    "stored_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "report_event_pkey" PRIMARY KEY ("owner","event_id")
);

-- CreateTable
CREATE TABLE "car_version" (
    "car_id" UUID NOT NULL,
    "revision" INTEGER NOT NULL,
    "valid_from" TIMESTAMPTZ(3) NOT NULL,
    "valid_to" TIMESTAMPTZ(3),
    "brand" TEXT,
    "model" TEXT,
    "cost_center_id" UUID,

    CONSTRAINT "car_version_pkey" PRIMARY KEY ("car_id","revision")
);

-- CreateTable
CREATE TABLE "cost_center_version" (
    "id" UUID NOT NULL,
    "revision" INTEGER NOT NULL,
    "valid_from" TIMESTAMPTZ(3) NOT NULL,
    "valid_to" TIMESTAMPTZ(3),
    "code" TEXT,
    "society_name" TEXT,
    "manager_id" UUID,

    CONSTRAINT "cost_center_version_pkey" PRIMARY KEY ("id","revision")
);

-- CreateTable
CREATE TABLE "user_version" (
    "id" UUID NOT NULL,
    "revision" INTEGER NOT NULL,
    "valid_from" TIMESTAMPTZ(3) NOT NULL,
    "valid_to" TIMESTAMPTZ(3),
    "username" TEXT,
    "is_active" BOOLEAN,

    CONSTRAINT "user_version_pkey" PRIMARY KEY ("id","revision")
);

-- CreateTable
CREATE TABLE "fleet_current" (
    "cost_center_key" TEXT NOT NULL,
    "brand" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "car_count" INTEGER NOT NULL,

    CONSTRAINT "fleet_current_pkey" PRIMARY KEY ("cost_center_key","brand","model")
);

-- CreateTable
CREATE TABLE "audit_event" (
    "id" UUID NOT NULL,
    "entity" TEXT NOT NULL,
    "entity_id" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "actor_id" TEXT,
    "request_id" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "changes" JSONB NOT NULL DEFAULT '[]',
    "sequence" BIGSERIAL NOT NULL,
    "revision" INTEGER,
    "trace_id" TEXT,
    "client_request_id" TEXT,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_key" (
    "actor" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_key_pkey" PRIMARY KEY ("actor","key","scope")
);

-- CreateTable
CREATE TABLE "event_cursor" (
    "consumer" TEXT NOT NULL,
    "position" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "event_cursor_pkey" PRIMARY KEY ("consumer")
);

-- CreateTable
CREATE TABLE "event_dead_letter" (
    "id" UUID NOT NULL,
    "consumer" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "sequence" BIGINT NOT NULL,
    "event" JSONB NOT NULL,
    "error" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "failed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "event_dead_letter_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "report_event_owner_subject_idx" ON "report_event"("owner", "subject");

-- CreateIndex
CREATE INDEX "report_event_owner_sequence_idx" ON "report_event"("owner", "sequence");

-- CreateIndex
CREATE INDEX "car_version_valid_from_valid_to_idx" ON "car_version"("valid_from", "valid_to");

-- CreateIndex
CREATE INDEX "car_version_valid_to_cost_center_id_idx" ON "car_version"("valid_to", "cost_center_id");

-- CreateIndex
CREATE INDEX "cost_center_version_valid_from_valid_to_idx" ON "cost_center_version"("valid_from", "valid_to");

-- CreateIndex
CREATE INDEX "cost_center_version_valid_to_id_idx" ON "cost_center_version"("valid_to", "id");

-- CreateIndex
CREATE INDEX "user_version_valid_from_valid_to_idx" ON "user_version"("valid_from", "valid_to");

-- CreateIndex
CREATE UNIQUE INDEX "audit_event_sequence_key" ON "audit_event"("sequence");

-- CreateIndex
CREATE INDEX "audit_event_entity_id_at_id_idx" ON "audit_event"("entity_id", "at", "id");

-- CreateIndex
CREATE INDEX "idempotency_key_expires_at_idx" ON "idempotency_key"("expires_at");

-- CreateIndex
CREATE INDEX "event_dead_letter_consumer_failed_at_idx" ON "event_dead_letter"("consumer", "failed_at");
