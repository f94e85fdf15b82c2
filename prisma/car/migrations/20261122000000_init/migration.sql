-- CreateTable
CREATE TABLE "car" (
    "id" UUID NOT NULL,
    "brand" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "version" TEXT,
    "cost_center_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "revision" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "car_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "car_cost_center_id_created_at_id_idx" ON "car"("cost_center_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "car_created_at_id_idx" ON "car"("created_at", "id");

-- CreateIndex
CREATE INDEX "car_brand_id_idx" ON "car"("brand", "id");
