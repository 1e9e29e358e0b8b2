import Joi from 'joi';

export const countyStatsDto = Joi.object({
  county: Joi.string().allow(null).required().description('County as recorded; null groups wells without one'),
  well_count: Joi.number().integer().min(0).required(),
  observation_count: Joi.number().integer().min(0).required(),
  latest_mean_depth_ft: Joi.number()
    .allow(null)
    .required()
    .description(
      'Mean over the county’s wells of each well’s most recent depth to water, feet; wells without observations are left out, null when none has any',
    ),
}).label('CountyStats');

export const countyStatsList = Joi.object({
  items: Joi.array().items(countyStatsDto).required(),
}).label('CountyStatsList');
