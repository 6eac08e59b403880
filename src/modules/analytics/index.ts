/** Analytics: the dashboard and the seeds' yardsticks, computed from the other modules' services. */
export { analyticsRoutes } from './analytics.routes.ts';
export { orderFunnel, overview } from './analytics.service.ts';
