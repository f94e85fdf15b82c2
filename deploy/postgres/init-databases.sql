-- Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d),
-- as POSTGRES_USER. Each subgraph owns a database of its own, as in production, and
-- moving one to its own server later is only a change of its <SUBGRAPH>_DATABASE_URL.
-- (This local environment connects all five as POSTGRES_USER; production gives each
-- subgraph a role that owns its database only.) Inside its database each subgraph still uses
-- its own schema (car, cost_center, users, webhook, report), created by its migrations.
CREATE DATABASE car;
CREATE DATABASE cost_center;
CREATE DATABASE users;
CREATE DATABASE webhook;
CREATE DATABASE report;
