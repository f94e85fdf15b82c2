-- AlterTable
ALTER TABLE "audit_event" ADD COLUMN     "client_request_id" TEXT;
