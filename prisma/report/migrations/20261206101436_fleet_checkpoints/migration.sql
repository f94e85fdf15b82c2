-- CreateTable
CREATE TABLE "fleet_checkpoint" (
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "fleet_checkpoint_pkey" PRIMARY KEY ("at")
);

-- CreateTable
CREATE TABLE "fleet_checkpoint_count" (
    "at" TIMESTAMPTZ(3) NOT NULL,
    "cost_center_key" TEXT NOT NULL,
    "brand" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "car_count" INTEGER NOT NULL,

    CONSTRAINT "fleet_checkpoint_count_pkey" PRIMARY KEY ("at","cost_center_key","brand","model")
);

-- AddForeignKey
ALTER TABLE "fleet_checkpoint_count" ADD CONSTRAINT "fleet_checkpoint_count_at_fkey" FOREIGN KEY ("at") REFERENCES "fleet_checkpoint"("at") ON DELETE CASCADE ON UPDATE CASCADE;
