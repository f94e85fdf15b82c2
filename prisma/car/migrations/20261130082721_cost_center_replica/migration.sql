-- CreateTable
CREATE TABLE "cost_center_replica" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "society_name" TEXT NOT NULL,
    "manager_id" UUID,
    "revision" INTEGER NOT NULL,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "applied_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cost_center_replica_pkey" PRIMARY KEY ("id")
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
CREATE INDEX "cost_center_replica_code_idx" ON "cost_center_replica"("code");

-- CreateIndex
CREATE INDEX "cost_center_replica_society_name_idx" ON "cost_center_replica"("society_name");

-- CreateIndex
CREATE INDEX "cost_center_replica_manager_id_idx" ON "cost_center_replica"("manager_id");

-- CreateIndex
CREATE INDEX "event_dead_letter_consumer_failed_at_idx" ON "event_dead_letter"("consumer", "failed_at");
