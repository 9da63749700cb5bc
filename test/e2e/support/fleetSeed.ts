// Seeds robots through the fleet registry's own repository in one transaction, on a store no console holds open
// (the e2e scale test and the fleet-table benchmark). The pattern is fixed, so tests can compute what to expect.
import Database from 'better-sqlite3';
import { ROBOT_STATUSES, type RobotStatus } from '../../../shared/domain.ts';
import { createFleetRepo } from '../../../electron/store/fleetRepo.ts';

export const SEED_SITES = ['Plant North', 'Plant South', 'Hospital A', 'Hospital B', 'Depot'] as const;
export const SEED_MODELS = ['UV-7', 'UV-9', 'UV-X'] as const;

export interface SeededRobot {
  deviceId: string;
  name: string;
  site: string;
  model: string;
  status: RobotStatus;
}

/** The i-th seeded robot (1-based): device ids robot-000001 ... , statuses in turn, sites and models in turn. */
export function seededRobot(i: number): SeededRobot {
  return {
    deviceId: `robot-${String(i).padStart(6, '0')}`,
    name: `Unit ${i}`,
    site: SEED_SITES[i % SEED_SITES.length]!,
    model: SEED_MODELS[i % SEED_MODELS.length]!,
    status: ROBOT_STATUSES[i % ROBOT_STATUSES.length]!,
  };
}

/** Inserts robots 1..count into the store at `storePath` in one transaction. */
export function seedRobots(storePath: string, count: number): void {
  const db = new Database(storePath);
  try {
    const repo = createFleetRepo(db);
    const at = new Date().toISOString();
    db.transaction(() => {
      for (const s of SEED_SITES) repo.ensureSite(s, at);
      for (const m of SEED_MODELS) repo.ensureModel(m, at);
      for (let i = 1; i <= count; i++) {
        const r = seededRobot(i);
        repo.insert({ ...r, firmware: `1.${i % 10}.0`, tags: i % 100 === 0 ? ['golden'] : [], statusReason: null, lastSeen: null, createdAt: at, updatedAt: at });
      }
    })();
  } finally {
    db.close();
  }
}
