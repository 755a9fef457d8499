export { ceremonyWorkflow } from './ceremony';
