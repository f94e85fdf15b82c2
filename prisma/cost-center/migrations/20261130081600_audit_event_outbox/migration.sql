-- The audit record becomes the outbox of domain events (common/events): a feed cursor
-- (sequence), the entity's revision and the request's trace id, and when a relay published it.
-- Rows written before this migration are numbered in storage order and have no revision or
-- trace id.
/*
  Warnings:

  - A unique constraint covering the columns `[sequence]` on the table `audit_event` will be added. If there are existing duplicate values, this will fail.

*/
-- AlterTable
ALTER TABLE "audit_event" ADD COLUMN     "published_at" TIMESTAMPTZ(3),
ADD COLUMN     "revision" INTEGER,
ADD COLUMN     "sequence" BIGSERIAL NOT NULL,
ADD COLUMN     "trace_id" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "audit_event_sequence_key" ON "audit_event"("sequence");
