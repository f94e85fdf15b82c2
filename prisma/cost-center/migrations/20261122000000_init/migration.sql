-- CreateTable
CREATE TABLE "cost_center" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "society_name" TEXT NOT NULL,
    "manager_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "revision" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "cost_center_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "cost_center_code_key" ON "cost_center"("code");

-- CreateIndex
CREATE INDEX "cost_center_manager_id_idx" ON "cost_center"("manager_id");

-- CreateIndex
CREATE INDEX "cost_center_created_at_id_idx" ON "cost_center"("created_at", "id");

-- CreateIndex
CREATE INDEX "cost_center_society_name_id_idx" ON "cost_center"("society_name", "id");
