/** Shapes shared by the workflow (type-only) and the activities: declared in contract/activities.ts. */

export type {
  ApiCall,
  DeviceWarning,
  NotificationInput,
  NotificationKind,
  OperationEvidence,
  OperationInput,
  OperationOutcome,
} from '../contract/activities';
