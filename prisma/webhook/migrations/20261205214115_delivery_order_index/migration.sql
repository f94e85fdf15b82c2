-- DropIndex
DROP INDEX "webhook_delivery_endpoint_id_owner_subject_sequence_idx";

-- CreateIndex
CREATE INDEX "webhook_delivery_endpoint_id_owner_subject_status_sequence_idx" ON "webhook_delivery"("endpoint_id", "owner", "subject", "status", "sequence");
