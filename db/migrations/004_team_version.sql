-- Which version of the team (a hash of the team file) each run ran with.
ALTER TABLE runs ADD COLUMN team_version text;
